"""`hub routing ...`: check an edited rule set, explain a decision, replay expectations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.routing.rules import (
    ComplaintFacts,
    Rule,
    RuleSetError,
    default_rules,
    dump_rules,
    evaluate,
    load_rules,
)

app = typer.Typer(help="Routing rules: who handles a complaint.", no_args_is_help=True)

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="A rule set JSON file (default: the shipped rules)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _rules(path: Path | None) -> tuple[Rule, ...]:
    try:
        return default_rules() if path is None else load_rules(path)
    except RuleSetError as exc:
        raise _fail(str(exc)) from None


@app.command()
def check(file: Annotated[Path, typer.Argument(help="Rule set JSON to validate.")]) -> None:
    """Validate an edited rule set; every problem is listed."""
    try:
        rules = load_rules(file)
    except RuleSetError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"ok: {len(rules)} rules")


@app.command()
def export() -> None:
    """Print the shipped rule set as JSON, the starting point for an edit."""
    typer.echo(json.dumps({"rules": dump_rules(default_rules())}, ensure_ascii=False, indent=1))


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="Complaint text (for keywords and region).")] = "",
    category: Annotated[str | None, typer.Option(help="Category code.")] = None,
    region: Annotated[str | None, typer.Option(help="Kabupaten/kota code.")] = None,
    rules: RulesOption = None,
) -> None:
    """Print the routing decision as JSON, with the rule that matched."""
    try:
        decision = evaluate(_rules(rules), ComplaintFacts(category, region, text))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False))


@app.command()
def replay(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL of expectations: {category, region, text, action, institution}."
        ),
    ],
    rules: RulesOption = None,
) -> None:
    """Check a rule set against expected decisions before putting it live."""
    rule_set = _rules(rules)
    try:
        lines = file.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: cannot read ({exc})") from None
    failures = total = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case: Any = json.loads(line)
            facts = ComplaintFacts(case.get("category"), case.get("region"), case.get("text", ""))
            decision = evaluate(rule_set, facts)
            expected = (case["action"], case.get("institution"))
        except (json.JSONDecodeError, AttributeError, KeyError, ValueError) as exc:
            raise _fail(f"{file}:{number}: bad expectation ({exc})") from None
        total += 1
        if (decision.action, decision.institution) != expected:
            failures += 1
            typer.echo(
                f"{file}:{number}: expected {expected[0]} {expected[1]}, got "
                f"{decision.action} {decision.institution} (rule {decision.rule_id})"
            )
    typer.echo(f"{total - failures} of {total} as expected")
    if failures:
        raise typer.Exit(code=1)
