"""Connector types come from the `hub.connectors` entry points; broken plugins are not fatal."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from pathlib import Path

import pytest

from connectors import registry
from connectors.builtin.rest_json import RestJsonConnector
from connectors.errors import ConfigError
from connectors.registry import UnknownConnector

BUILTINS = {"rest_json", "soap_xml", "open311", "email"}


def make_distribution(
    site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    """An installed distribution as pip leaves it: modules plus a .dist-info with entry points."""
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[hub.connectors]\n{lines}\n")


GOOD = """
    from connectors import Connector, DeliveryResult

    class Sampah(Connector):
        name = "{name}"
        version = "2.1.0"
        description = "Bank sampah app"
        config_schema = {{
            "type": "object",
            "properties": {{"token": {{"type": "string", "writeOnly": True}}}},
        }}

        async def deliver(self, complaint, *, idempotency_key):
            return DeliveryResult("X-1")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_builtins_are_registered_through_entry_points() -> None:
    reg = registry.load()
    assert set(reg.names()) >= BUILTINS
    assert reg.get("rest_json") is RestJsonConnector
    info = {i.name: i for i in reg.describe()}["rest_json"]
    assert info.distribution == "lampung-in-hub"
    assert {"deliver", "parse_webhook", "fetch_updates", "check", "call"} <= set(info.supports)
    assert reg.broken() == []
    assert {i.name: i.supports for i in reg.describe()}["email"] == ("deliver", "check")


def test_a_third_party_package_appears_without_changing_the_hub(site: Path) -> None:
    module = unique("sampah_connector")
    make_distribution(
        site,
        "bank-sampah-connector",
        {"bank_sampah": f"{module}:Sampah"},
        {module: GOOD.format(name="bank_sampah")},
    )
    reg = registry.load()
    cls = reg.get("bank_sampah")
    assert cls.__module__ == module and cls.version == "2.1.0"
    info = {i.name: i for i in reg.describe()}["bank_sampah"]
    assert info.distribution == "bank-sampah-connector"
    assert info.supports == ("deliver",)
    assert set(reg.names()) >= BUILTINS


def test_a_broken_plugin_is_listed_and_the_rest_still_load(site: Path) -> None:
    module = unique("broken_connector")
    make_distribution(
        site,
        "broken-connector",
        {"rusak": f"{module}:Rusak"},
        {module: "import does_not_exist_anywhere\n"},
    )
    reg = registry.load()
    broken = {b.name: b for b in reg.broken()}
    assert "ModuleNotFoundError" in broken["rusak"].error
    assert broken["rusak"].distribution == "broken-connector"
    assert "does_not_exist_anywhere" in broken["rusak"].traceback
    assert set(reg.names()) >= BUILTINS
    with pytest.raises(UnknownConnector, match="installed but broken"):
        reg.get("rusak")


@pytest.mark.parametrize(
    ("cls_name", "source", "problem"),
    [
        ("NotAConnector", "class NotAConnector:\n    name = 'aneh'\n", "not a subclass"),
        ("Sampah", GOOD.format(name="other_name"), "loads a connector named 'other_name'"),
        (
            "Bad",
            "from connectors import Connector\n"
            "class Bad(Connector):\n    name = 'aneh'\n    config_schema = {'type': 'objekt'}\n",
            "not valid JSON Schema",
        ),
        (
            "Bad",
            "from connectors import Connector\n"
            "class Bad(Connector):\n    name = 'aneh'\n    fields_needed = frozenset({'nik'})\n",
            "unknown complaint fields: nik",
        ),
    ],
)
def test_invalid_plugins_are_broken_not_fatal(
    site: Path, cls_name: str, source: str, problem: str
) -> None:
    module = unique("aneh_connector")
    make_distribution(site, "aneh", {"aneh": f"{module}:{cls_name}"}, {module: source})
    reg = registry.load()
    assert "aneh" not in reg
    assert problem in {b.name: b for b in reg.broken()}["aneh"].error
    assert set(reg.names()) >= BUILTINS


def test_unknown_names_suggest_close_ones() -> None:
    reg = registry.load()
    with pytest.raises(UnknownConnector) as caught:
        reg.get("rest_jsn")
    assert "did you mean 'rest_json'?" in str(caught.value)
    assert caught.value.suggestions == ["rest_json"]
    with pytest.raises(UnknownConnector) as caught:
        reg.get("zzz")
    assert "did you mean" not in str(caught.value)
    assert "installed: " in str(caught.value)


def test_two_packages_claiming_one_name_are_both_refused(site: Path) -> None:
    a, b = unique("dup_a"), unique("dup_b")
    make_distribution(site, "dup-a", {"kembar": f"{a}:Sampah"}, {a: GOOD.format(name="kembar")})
    make_distribution(site, "dup-b", {"kembar": f"{b}:Sampah"}, {b: GOOD.format(name="kembar")})
    reg = registry.load()
    assert "kembar" not in reg
    assert "two packages" in {x.name: x for x in reg.broken()}["kembar"].error


def test_module_level_get_uses_the_process_registry() -> None:
    assert registry.get("rest_json") is RestJsonConnector


def test_create_validates_the_config_before_building_the_instance() -> None:
    with pytest.raises(ConfigError) as caught:
        registry.create("open311", {"base_url": "ftp://x", "service_codes": {}})
    assert "$.base_url" in str(caught.value) and "'api_key' is a required" in str(caught.value)
    connector = registry.create("rest_json", {"base_url": "https://dlh.example"})
    assert isinstance(connector, RestJsonConnector)
    asyncio.run(connector.aclose())
