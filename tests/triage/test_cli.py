"""`hub triage predict | eval | train` as an operator uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.triage.cli import app
from hub.triage.training import base_examples, model_path, reset_default_classifier

runner = CliRunner()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Iterator[Path]:
    reset_default_classifier()
    yield tmp_path
    reset_default_classifier()


def _labelled(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_predict_prints_json(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["predict", "motor sy dicuri di parkiran pasar", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["category"] == "kriminal_keamanan"
    assert set(out) == {"category", "confidence", "alternatives", "manual_review"}


def test_predict_refuses_empty_text(data_dir: Path) -> None:
    result = runner.invoke(app, ["predict", "  ", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "error: complaint text is empty" in result.stderr


def test_eval_prints_accuracy_and_macro_f1(data_dir: Path, tmp_path: Path) -> None:
    labelled = _labelled(
        tmp_path / "labelled.jsonl",
        [
            {"text": "jalan berlubang besar", "category": "jalan_jembatan"},
            {"text": "sampah tidak diangkut", "category": "sampah_lingkungan"},
        ],
    )
    result = runner.invoke(app, ["eval", str(labelled), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "accuracy 1.000  macro-F1 1.000  n=2"
    full = runner.invoke(app, ["eval", str(labelled), "--json", "--data-dir", str(data_dir)])
    assert json.loads(full.stdout)["n"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ('{"text": "jalan", "category": "jalan_jembatan"}\n{oops\n', ":2: not valid JSON"),
        ('{"text": "jalan", "category": "jalanan"}\n', ":1: unknown category 'jalanan'"),
    ],
)
def test_eval_names_the_problem_in_one_line(
    data_dir: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "labelled.jsonl"
    if content is not None:
        path.write_text(content, "utf-8")
    result = runner.invoke(app, ["eval", str(path), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_train_saves_a_model_with_extra_examples(data_dir: Path, tmp_path: Path) -> None:
    extra = _labelled(
        tmp_path / "extra.jsonl", [{"text": "zorblat bocor", "category": "air_bersih"}]
    )
    result = runner.invoke(app, ["train", "--extra", str(extra), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    expected = len(base_examples()) + 1
    assert f"trained on {expected} examples (0 admin decisions, 1 extra)" in result.stdout
    assert model_path(data_dir).is_file()


def test_train_refuses_a_bad_extra_file(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", "--extra", str(tmp_path / "none.jsonl"), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    assert not model_path(data_dir).exists()
