"""`hub routing ...`: check an edited rule set, explain a decision, replay expectations, and
manage the rule set in force in the database (load, active, history)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_sessionmaker, transaction
from hub.routing import admin
from hub.routing.rules import (
    ComplaintFacts,
    Rule,
    RuleSetError,
    default_rules,
    dump_rules,
    evaluate,
    load_rules,
)
from hub.settings import get_settings

app = typer.Typer(help="Routing rules: who handles a complaint.", no_args_is_help=True)

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="A rule set JSON file (default: the shipped rules)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


ActiveOption = Annotated[
    bool, typer.Option("--active", help="Use the rule set in force in the hub's database.")
]


def _rules(path: Path | None, in_force: bool = False) -> tuple[Rule, ...]:
    if in_force:
        if path is not None:
            raise _fail("give --rules or --active, not both")
        with _database() as factory, factory() as session:
            return admin.active(session).rules
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
    in_force: ActiveOption = False,
) -> None:
    """Print the routing decision as JSON, with the rule that matched."""
    rule_set = _rules(rules, in_force)
    try:
        decision = evaluate(rule_set, ComplaintFacts(category, region, text))
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
    in_force: ActiveOption = False,
) -> None:
    """Check a rule set against expected decisions before putting it live."""
    rule_set = _rules(rules, in_force)
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


# ------------------------------------------------------------ the rule set in the database


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (some containers)
        return "cli"


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="Rule set JSON to put in force.")],
    comment: Annotated[str | None, typer.Option(help="Why the rules change.")] = None,
    by: Annotated[str | None, typer.Option(help="Who changes them (default: cli:<user>).")] = None,
) -> None:
    """Validate a rule set and put it in force as a new version (every problem is listed)."""
    try:
        data = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raise _fail(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"{file}: cannot read JSON ({exc})") from None
    try:
        with _database() as factory, transaction(factory) as session:
            saved, created = admin.save(session, data, actor=by or _who(), comment=comment)
    except RuleSetError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2) from None
    if created:
        typer.echo(f"saved version {saved.version}: {len(saved.rules)} rules in force")
    else:
        typer.echo(f"unchanged: version {saved.version} already has these rules")


def _summary(rules: admin.ActiveRules) -> str:
    when = rules.created_at.isoformat(timespec="seconds") if rules.created_at else "-"
    return (
        f"version {rules.version} ({rules.source}) {len(rules.rules)} rules "
        f"by {rules.created_by or '-'} at {when}" + (f": {rules.comment}" if rules.comment else "")
    )


@app.command()
def active(
    as_json: Annotated[
        bool, typer.Option("--json", help="The whole rule set as JSON (loadable again).")
    ] = False,
) -> None:
    """Show the rule set in force."""
    with _database() as factory, factory() as session:
        in_force = admin.active(session)
    if as_json:
        typer.echo(json.dumps(in_force.as_dict(), ensure_ascii=False, indent=1))
    else:
        typer.echo(_summary(in_force))


@app.command()
def history(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many versions.")] = 20,
) -> None:
    """Saved rule set versions, newest first; `*` marks the one in force."""
    with _database() as factory, factory() as session:
        rows = admin.history(session, limit=limit)
    if not rows:
        typer.echo("no saved versions: the shipped rules are in force")
    for index, row in enumerate(rows):
        typer.echo(("* " if index == 0 else "  ") + _summary(row))
