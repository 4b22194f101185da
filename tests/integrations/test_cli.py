"""`hub connectors ...` on the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import Settings, get_settings
from hub.simulators import DLHApp
from hub.simulators.configs import dlh_config

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", str(settings.database_url))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def dlh() -> Iterator[DLHApp]:
    with DLHApp() as sim:
        yield sim


def config_file(tmp_path: Path, config: object) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_list_shows_the_builtin_connector_types() -> None:
    result = runner.invoke(app, ["connectors", "list"])
    assert result.exit_code == 0
    assert "rest_json" in result.output and "soap_xml" in result.output


def test_add_check_enable_and_disable_an_instance(env: None, tmp_path: Path, dlh: DLHApp) -> None:
    config = config_file(tmp_path, dlh_config(dlh))
    added = runner.invoke(
        app,
        [
            "connectors",
            "add",
            "dlh-rest",
            "--type",
            "rest_json",
            "--opd",
            "dlh-prov",
            "--config",
            config,
            "--category",
            "sampah_lingkungan",
            "--enable",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["enabled"] is True
    assert dlh.api_key not in added.output
    checked = runner.invoke(app, ["connectors", "check", "dlh-rest"])
    assert checked.exit_code == 0 and json.loads(checked.output)["ok"] is True
    listed = runner.invoke(app, ["connectors", "instances"])
    assert "dlh-rest" in listed.output and "enabled" in listed.output
    assert runner.invoke(app, ["connectors", "disable", "dlh-rest"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["connectors", "instances"]).output


def test_a_bad_config_is_one_error_line_and_exit_2(env: None, tmp_path: Path, dlh: DLHApp) -> None:
    config = dlh_config(dlh)
    del config["base_url"]
    result = runner.invoke(
        app,
        [
            "connectors",
            "add",
            "dlh-rest",
            "--type",
            "rest_json",
            "--opd",
            "dlh-prov",
            "--config",
            config_file(tmp_path, config),
        ],
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid connector config")
    assert "base_url" in result.output


def test_a_config_file_that_is_not_json_is_named(env: None, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{oops")
    result = runner.invoke(
        app,
        [
            "connectors",
            "add",
            "x1",
            "--type",
            "rest_json",
            "--opd",
            "dlh-prov",
            "--config",
            str(path),
        ],
    )
    assert result.exit_code == 2
    assert "is not JSON: line 1" in result.output


def test_checking_an_unreachable_app_exits_non_zero(env: None, tmp_path: Path, dlh: DLHApp) -> None:
    config = dlh_config(dlh) | {"base_url": "http://127.0.0.1:9"}
    runner.invoke(
        app,
        [
            "connectors",
            "add",
            "dlh-rest",
            "--type",
            "rest_json",
            "--opd",
            "dlh-prov",
            "--config",
            config_file(tmp_path, config),
        ],
    )
    result = runner.invoke(app, ["connectors", "check", "dlh-rest"])
    assert result.exit_code == 1
    assert json.loads(result.output)["ok"] is False


def test_an_unknown_instance_is_a_clear_error(env: None) -> None:
    result = runner.invoke(app, ["connectors", "enable", "ghost"])
    assert result.exit_code == 2
    assert "No connector instance 'ghost'" in result.output


def test_new_scaffolds_a_connector_package(tmp_path: Path) -> None:
    result = runner.invoke(app, ["connectors", "new", "bank_sampah", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "hub-connector-bank-sampah"
    assert (root / "pyproject.toml").read_text().count('bank_sampah = "') == 1
    again = runner.invoke(app, ["connectors", "new", "bank_sampah", "--dest", str(tmp_path)])
    assert again.exit_code == 2 and again.output.startswith("error:")
    bad = runner.invoke(app, ["connectors", "new", "Bank-Sampah", "--dest", str(tmp_path)])
    assert bad.exit_code == 2 and "lower_snake_case" in bad.output
