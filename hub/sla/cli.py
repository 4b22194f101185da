"""`hub sla ...`: holidays, working-day arithmetic and a report's deadlines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from hub.sla.calendar import (
    WIB,
    CalendarError,
    HolidayCalendar,
    add_working_days,
    load_calendar,
    packaged_calendar,
)
from hub.sla.deadlines import Timeline, escalation, stage_clocks

app = typer.Typer(help="Working-day service levels.", no_args_is_help=True)

CalendarOption = Annotated[
    Path | None, typer.Option("--calendar", help="Holiday JSON (default: the shipped seed).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _calendar(path: Path | None) -> HolidayCalendar:
    try:
        return packaged_calendar() if path is None else load_calendar(path)
    except CalendarError as exc:
        raise _fail(str(exc)) from None


def _moment(value: str | None, name: str) -> datetime | None:
    """ISO 8601; a time without offset is taken as WIB, a bare date as 00:00 WIB."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--{name}: not an ISO 8601 date/time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WIB)


@contextmanager
def _db() -> Iterator[Session]:
    """A unit of work on the hub's database (HUB_DATABASE_URL or the embedded default)."""
    from hub.db import make_engine, transaction
    from hub.settings import get_settings

    engine = make_engine(get_settings().effective_database_url)
    try:
        with transaction(sessionmaker(engine, class_=Session)) as session:
            yield session
    finally:
        engine.dispose()


def _db_calendar() -> HolidayCalendar:
    from sqlalchemy.exc import SQLAlchemyError

    from hub.sla.service import db_calendar

    try:
        with _db() as session:
            return db_calendar(session)
    except SQLAlchemyError as exc:
        raise _fail(
            f"cannot read the holidays from the database (hub db upgrade?): {exc}"
        ) from None


@app.command()
def holidays(
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    calendar: Annotated[
        Path | None, typer.Option("--calendar", help="Read a holiday JSON file instead.")
    ] = None,
    seed: Annotated[bool, typer.Option("--seed", help="Show the shipped seed instead.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the file format (for import-holidays).")
    ] = False,
) -> None:
    """List the days off in force (the database, which admins edit), or of a file or the seed."""
    cal = _calendar(calendar) if calendar is not None or seed else _db_calendar()
    days = [cal.holidays[d] for d in sorted(cal.holidays) if year is None or d.year == year]
    if as_json:
        from hub.sla.service import holidays_view

        rows = [{k: v for k, v in row.items() if k != "weekday"} for row in holidays_view(days)]
        typer.echo(json.dumps({"days": rows}, ensure_ascii=False, indent=1))
        return
    for h in days:
        note = "  (estimate)" if h.estimate else ""
        typer.echo(f"{h.day.isoformat()}  {h.day.strftime('%a')}  {h.kind:<15} {h.name_id}{note}")


@app.command("import-holidays")
def import_holidays(
    file: Annotated[Path, typer.Argument(help="Holiday JSON ({'days': [...]}, as --json prints).")],
    year: Annotated[
        list[int] | None, typer.Option(help="Only these years (default: every year in the file).")
    ] = None,
) -> None:
    """Replace, in the database, the holidays of each year the file lists."""
    from hub.sla.service import replace_year

    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"{file}: cannot read JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("days"), list):
        raise _fail(f"{file}: expected an object with a 'days' list")
    by_year: dict[int, list[dict[str, object]]] = {}
    for row in data["days"]:
        try:
            day = date.fromisoformat(str(row.get("date")))
        except (AttributeError, ValueError):
            raise _fail(f"{file}: not a YYYY-MM-DD date in {row!r}") from None
        by_year.setdefault(day.year, []).append(row)
    for wanted in year or []:
        by_year.setdefault(wanted, [])  # a year asked for but absent from the file: emptied
    years = sorted(year) if year else sorted(by_year)
    try:
        with _db() as session:
            for y in years:
                saved = replace_year(session, y, by_year[y], actor="cli")
                typer.echo(f"{y}: {len(saved)} holidays")
    except CalendarError as exc:
        raise _fail(str(exc)) from None


@app.command("add")
def add(
    start: Annotated[str, typer.Argument(help="Start date, YYYY-MM-DD.")],
    days: Annotated[int, typer.Argument(min=0, help="Working days to add.")],
    calendar: CalendarOption = None,
) -> None:
    """Print the date `days` working days after `start`."""
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise _fail(f"not a date (YYYY-MM-DD): {start!r}") from None
    cal = _calendar(calendar)
    result = add_working_days(day, days, cal)
    note = "" if cal.covers(result) else "  (outside the calendar's years: weekends only)"
    typer.echo(result.isoformat() + note)


@app.command()
def deadlines(
    received: Annotated[str, typer.Option(help="When the report arrived (ISO 8601).")],
    category: Annotated[str | None, typer.Option(help="Category code.")] = None,
    dispatched: Annotated[str | None, typer.Option(help="Forwarded to the OPD.")] = None,
    acknowledged: Annotated[str | None, typer.Option(help="The OPD's first response.")] = None,
    resolved: Annotated[str | None, typer.Option(help="Resolved.")] = None,
    now: Annotated[str | None, typer.Option(help="Evaluate at this time (default: now).")] = None,
    calendar: CalendarOption = None,
) -> None:
    """Print each stage's deadline and the escalation due now, as JSON."""
    cal = _calendar(calendar)
    received_at = _moment(received, "received")
    assert received_at is not None  # a required option
    at = _moment(now, "now") or datetime.now(WIB)
    try:
        timeline = Timeline(
            received_at=received_at,
            dispatched_at=_moment(dispatched, "dispatched"),
            acknowledged_at=_moment(acknowledged, "acknowledged"),
            resolved_at=_moment(resolved, "resolved"),
        )
        clocks = stage_clocks(timeline, category, at, calendar=cal)
        escalate = escalation(timeline, category, at, calendar=cal)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    out = {
        "stages": [
            {
                "stage": c.stage.value,
                "working_days": c.working_days,
                "due_at": c.due_at.isoformat(),
                "completed_at": c.completed_at.isoformat() if c.completed_at else None,
                "late": c.late,
                "open": c.open,
            }
            for c in clocks
        ],
        "escalation": escalate.as_dict(),
    }
    typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
