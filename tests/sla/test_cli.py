"""`hub sla holidays | add | deadlines`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

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
