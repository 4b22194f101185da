"""`hub routing check | export | explain | replay` for admins editing rules."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.routing.cli import app

runner = CliRunner()


def test_export_then_check_round_trips(tmp_path: Path) -> None:
    exported = runner.invoke(app, ["export"])
    assert exported.exit_code == 0
    path = tmp_path / "rules.json"
    path.write_text(exported.stdout, "utf-8")
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0
    assert checked.stdout.startswith("ok: ")


def test_check_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps([{"id": "a", "institution": "nowhere"}, {"id": "b", "categories": ["x"]}]),
        "utf-8",
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "error: rule 'a': unknown institution 'nowhere'" in result.stderr
    assert "error: rule 'b': 'institution' is required" in result.stderr


def test_explain_prints_the_decision() -> None:
    result = runner.invoke(
        app,
        ["explain", "motor saya dicuri", "--category", "kriminal_keamanan", "--region",
         "kota-bandar-lampung"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["action"], out["institution"], out["rule_id"]) == (
        "redirect",
        "polresta-bandar-lampung",
        "polisi-bandar-lampung",
    )
    assert out["explanation"]["id"] and out["explanation"]["en"]


def test_explain_refuses_an_unknown_region() -> None:
    result = runner.invoke(app, ["explain", "x", "--category", "jalan_jembatan", "--region", "x"])
    assert result.exit_code == 2
    assert "unknown region 'x'" in result.stderr


def test_replay_reports_mismatches(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {
                    "category": "sampah_lingkungan",
                    "region": "kota-bandar-lampung",
                    "text": "sampah",
                    "action": "route",
                    "institution": "dlh-kota-bandar-lampung",
                },
                {
                    "category": "jalan_jembatan",
                    "region": "kota-metro",
                    "text": "jalan provinsi",
                    "action": "route",
                    "institution": "kota-metro",
                },
            ]
        ),
        "utf-8",
    )
    result = runner.invoke(app, ["replay", str(cases)])
    assert result.exit_code == 1
    assert (
        ":2: expected route kota-metro, got route bmbk-prov (rule jalan-provinsi)" in result.stdout
    )
    assert "1 of 2 as expected" in result.stdout


def test_replay_names_a_bad_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"category": "x"}\n', "utf-8")
    result = runner.invoke(app, ["replay", str(cases)])
    assert result.exit_code == 2
    assert "cases.jsonl:1: bad expectation" in result.stderr
