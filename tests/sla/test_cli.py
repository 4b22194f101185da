"""`hub sla holidays | add | deadlines`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.settings import get_settings
from hub.sla.cli import app

runner = CliRunner()


def test_holidays_of_a_year() -> None:
    result = runner.invoke(app, ["holidays", "--year", "2026", "--seed"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("2026-01-01  Thu  libur_nasional")
    assert all(line.startswith("2026-") for line in lines)


def test_add_working_days() -> None:
    result = runner.invoke(app, ["add", "2026-03-17", "3"])
    assert result.stdout.strip() == "2026-03-27"
    beyond = runner.invoke(app, ["add", "2030-01-01", "1"])
    assert "outside the calendar's years" in beyond.stdout
    bad = runner.invoke(app, ["add", "17-03-2026", "3"])
    assert bad.exit_code == 2 and "not a date" in bad.stderr


def test_deadlines_and_escalation_as_json() -> None:
    result = runner.invoke(
        app,
        ["deadlines", "--received", "2026-06-08T10:00", "--category", "jalan_jembatan",
         "--now", "2026-06-15T09:00+07:00"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["stages"][0]["due_at"] == "2026-06-11T23:59:59.999999+07:00"
    assert out["escalation"]["level"] == "opd_head"


def test_deadlines_refuse_bad_times() -> None:
    result = runner.invoke(app, ["deadlines", "--received", "yesterday"])
    assert result.exit_code == 2
    assert "--received: not an ISO 8601" in result.stderr


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_holidays_in_the_database_are_listed_exported_and_imported(
    cli_db: None, tmp_path: Path
) -> None:
    exported = runner.invoke(app, ["holidays", "--year", "2027", "--seed", "--json"])
    assert exported.exit_code == 0, exported.output
    days = json.loads(exported.stdout)["days"]
    assert days and all(d["date"].startswith("2027-") for d in days)
    kept = [d for d in days if d["date"] != "2027-01-01"]
    path = tmp_path / "2027.json"
    path.write_text(json.dumps({"days": kept}), "utf-8")

    imported = runner.invoke(app, ["import-holidays", str(path)])
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip() == f"2027: {len(kept)} holidays"
    listed = runner.invoke(app, ["holidays", "--year", "2027"])  # the database, by default
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == len(kept) and not any(line.startswith("2027-01-01") for line in lines)

    emptied = runner.invoke(app, ["import-holidays", str(path), "--year", "2028"])
    assert emptied.stdout.strip() == "2028: 0 holidays"  # a year the file lacks is cleared
    assert runner.invoke(app, ["holidays", "--year", "2028"]).stdout == ""


def test_import_refuses_a_bad_file_and_changes_nothing(cli_db: None, tmp_path: Path) -> None:
    before = runner.invoke(app, ["holidays"]).stdout
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"days": [{"date": "2027-01-01", "name_id": "x", "kind": "libur"}]}), "utf-8"
    )
    result = runner.invoke(app, ["import-holidays", str(path)])
    assert result.exit_code == 2 and "'kind' must be one of" in result.stderr
    path.write_text("[]", "utf-8")
    assert "expected an object" in runner.invoke(app, ["import-holidays", str(path)]).stderr
    assert runner.invoke(app, ["holidays"]).stdout == before
