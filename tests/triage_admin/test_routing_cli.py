"""`hub routing load | active | history`: the rule set in force, managed from the shell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.db import make_engine, make_sessionmaker
from hub.routing import admin
from hub.routing.cli import app
from hub.settings import Settings, get_settings
from tests.triage_admin.conftest import ROADS_ONLY

runner = CliRunner()


@pytest.fixture
def hub_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """`hub` reads its settings from the environment, as in production."""
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", settings.effective_database_url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def in_force(settings: Settings) -> admin.ActiveRules:
    engine = make_engine(settings.effective_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return admin.active(session)
    finally:
        engine.dispose()


def test_load_puts_a_rule_set_in_force_and_active_shows_it(
    hub_env: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": ROADS_ONLY}), "utf-8")
    loaded = runner.invoke(app, ["load", str(path), "--comment", "roads", "--by", "ops-1"])
    assert loaded.exit_code == 0, loaded.output
    current = in_force(hub_env)
    assert loaded.stdout.strip() == f"saved version {current.version}: 1 rules in force"
    assert (current.created_by, current.comment) == ("ops-1", "roads")
    shown = runner.invoke(app, ["active"])
    assert shown.stdout.startswith(f"version {current.version} (database) 1 rules by ops-1 at ")
    as_json = json.loads(runner.invoke(app, ["active", "--json"]).stdout)
    assert [r["id"] for r in as_json["rules"]] == ["jalan-provinsi"]
    again = runner.invoke(app, ["load", str(path)])
    assert again.stdout.startswith("unchanged: ")


def test_active_json_round_trips_through_load(hub_env: Settings, tmp_path: Path) -> None:
    shipped = runner.invoke(app, ["active", "--json"])
    assert json.loads(shipped.stdout)["source"] == "shipped"
    path = tmp_path / "active.json"
    path.write_text(shipped.stdout, "utf-8")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.output
    assert in_force(hub_env).source == "database"
    assert result.stdout.startswith("saved version ")
    assert result.stdout.strip().endswith(
        f"{len(json.loads(shipped.stdout)['rules'])} rules in force"
    )


def test_load_lists_every_problem_and_saves_nothing(hub_env: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "a", "institution": "nowhere"}, {"id": "b"}]), "utf-8")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 2
    assert "error: rule 'a': unknown institution 'nowhere'" in result.stderr
    assert "error: rule 'b': 'institution' is required" in result.stderr
    assert in_force(hub_env).version == 0
    missing = runner.invoke(app, ["load", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_history_lists_versions_newest_first_marking_the_one_in_force(
    hub_env: Settings, tmp_path: Path
) -> None:
    empty = runner.invoke(app, ["history"])
    assert empty.stdout.strip() == "no saved versions: the shipped rules are in force"
    for priority in (600, 700):
        path = tmp_path / f"rules-{priority}.json"
        path.write_text(json.dumps([dict(ROADS_ONLY[0], priority=priority)]), "utf-8")
        assert runner.invoke(app, ["load", str(path), "--comment", f"p{priority}"]).exit_code == 0
    lines = runner.invoke(app, ["history"]).stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* version ") and lines[0].endswith(": p700")
    assert lines[1].startswith("  version ") and lines[1].endswith(": p600")


def test_explain_and_replay_can_use_the_rules_in_force(hub_env: Settings, tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(ROADS_ONLY), "utf-8")
    assert runner.invoke(app, ["load", str(path)]).exit_code == 0
    facts = ["sampah", "--category", "sampah_lingkungan", "--region", "kota-bandar-lampung"]
    shipped = json.loads(runner.invoke(app, ["explain", *facts]).stdout)
    in_force = json.loads(runner.invoke(app, ["explain", *facts, "--active"]).stdout)
    assert shipped["action"] == "route" and in_force["action"] == "manual"
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"category": "jalan_jembatan", "action": "route", "institution": "bmbk-prov"}),
        "utf-8",
    )
    assert runner.invoke(app, ["replay", str(cases), "--active"]).exit_code == 0
    both = runner.invoke(app, ["explain", *facts, "--active", "--rules", str(path)])
    assert both.exit_code == 2 and "not both" in both.stderr
