"""`hub triage ...`: predict a category, evaluate on a labelled file, retrain the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hub.triage.classifier import ModelError, evaluate
from hub.triage.corpus import CorpusError, load_examples
from hub.triage.training import (
    base_examples,
    default_classifier,
    model_path,
    stored_decisions,
    train_default,
)

app = typer.Typer(help="Auto-triage of complaint texts.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the model lives (default: HUB_DATA_DIR)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@app.command()
def predict(
    text: Annotated[str, typer.Argument(help="The complaint text, as the citizen wrote it.")],
    threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Confidence below which manual review is asked."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Print the predicted category as JSON."""
    try:
        prediction = default_classifier(data_dir).predict(text, threshold=threshold)
    except (ValueError, ModelError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(prediction.as_dict(), ensure_ascii=False))


@app.command("eval")
def eval_(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: one {text, category} a line.")],
    as_json: Annotated[bool, typer.Option("--json", help="Full report as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print accuracy and macro-F1 of the current model on a labelled file."""
    try:
        examples = load_examples(file)
        report = evaluate(default_classifier(data_dir), examples)
    except (CorpusError, ModelError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    typer.echo(
        f"accuracy {report['accuracy']:.3f}  macro-F1 {report['macro_f1']:.3f}  n={report['n']}"
    )


@app.command()
def train(
    extra: Annotated[
        Path | None, typer.Option("--extra", help="More labelled JSONL to train on.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Retrain from the corpus, stored admin decisions and --extra; save the model."""
    try:
        extra_examples = load_examples(extra) if extra is not None else []
        decisions = stored_decisions(data_dir)
        clf = train_default(extra_examples, data_dir=data_dir)
    except (CorpusError, ModelError, ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    total = len(base_examples()) + len(decisions) + len(extra_examples)
    typer.echo(
        f"trained on {total} examples ({len(decisions)} admin decisions, "
        f"{len(extra_examples)} extra), {len(clf.categories)} categories; "
        f"saved {model_path(data_dir)}"
    )
