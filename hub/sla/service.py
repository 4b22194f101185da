"""Service levels of stored complaints: the holiday table, deadlines, overdue and escalation.

The pure rules live in calendar.py and deadlines.py; this module reads complaints and their
timelines from the database and acts. A report's milestones come from its timeline:

    received      created (or sent back to triage by an OPD: the triage clock restarts)
    dispatched    delivered to the OPD's app, or placed in its inbox in the hub
    acknowledged  the OPD's first response (acknowledged, in progress, or resolved at once);
                  a citizen's reopen starts a fresh resolution clock
    resolved      resolved
    stopped       closed, rejected, redirected or duplicate: no clock runs

Escalation is remembered on the timeline (`complaint.escalated` with the stage, when it
started, and the level), so `check` acts once per level per stage however often it runs.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from hub.complaints import updates
from hub.complaints.models import Complaint, ComplaintEvent
from hub.db import transaction, utcnow
from hub.sla.calendar import (
    WIB,
    CalendarError,
    Holiday,
    HolidayCalendar,
    packaged_calendar,
    parse_calendar,
)
from hub.sla.deadlines import (
    Escalation,
    EscalationLevel,
    SlaPolicy,
    Stage,
    StageClock,
    Timeline,
    default_policy,
    escalation,
    stage_clocks,
)
from hub.sla.models import HolidayRow
from schemas.models import Status

__all__ = [
    "ACTOR",
    "ESCALATED",
    "OVERDUE",
    "CheckReport",
    "check",
    "complaint_fields",
    "db_calendar",
    "expected_resolution",
    "holidays_view",
    "make_overdue_counter",
    "overdue_counts",
    "replace_year",
    "seed_holidays",
    "timeline_of",
    "timelines",
]

log = logging.getLogger(__name__)

ACTOR = "hub:sla"
ESCALATED = "complaint.escalated"
OVERDUE = "complaint.overdue"  # the notification (webhook event type)
BATCH = 500

# Statuses whose clock may run; resolved waits for the citizen, the others have left the flow.
RUNNING = (
    Status.RECEIVED.value,
    Status.TRIAGED.value,
    Status.DISPATCHED.value,
    Status.ACKNOWLEDGED.value,
    Status.IN_PROGRESS.value,
)
_STOPS = frozenset(
    {Status.CLOSED, Status.REJECTED, Status.REDIRECTED, Status.DUPLICATE}
)  # fmt: skip


# --- the holiday calendar in the database --------------------------------------------------


def _holiday(row: HolidayRow) -> Holiday:
    return Holiday(row.day, row.kind, row.name_id, row.name_en, row.estimate)


def db_calendar(session: Session) -> HolidayCalendar:
    """The calendar in force: the `holidays` table (years without rows: weekends only)."""
    rows = session.scalars(select(HolidayRow)).all()
    holidays = {row.day: _holiday(row) for row in rows}
    return HolidayCalendar(holidays, years=frozenset(day.year for day in holidays))


def seed_holidays(session: Session, calendar: HolidayCalendar | None = None) -> int:
    """Fill an empty table from the shipped seed (first run only: admins' edits are kept).
    A database migrated to a revision before the table exists is left alone."""
    if not inspect(session.connection()).has_table(HolidayRow.__tablename__):
        return 0
    if session.scalar(select(func.count()).select_from(HolidayRow)):
        return 0
    seed = calendar or packaged_calendar()
    session.add_all(
        HolidayRow(
            day=h.day,
            kind=h.kind,
            name_id=h.name_id,
            name_en=h.name_en,
            estimate=h.estimate,
            updated_by="seed",
        )
        for h in seed.holidays.values()
    )
    session.flush()
    return len(seed.holidays)


def replace_year(
    session: Session, year: int, days: Sequence[Mapping[str, Any]], *, actor: str | None
) -> list[Holiday]:
    """Make `days` (holidays_id.json's entry format) the holidays of `year`; raises
    CalendarError naming the bad entry."""
    if not 1900 <= year <= 2999:
        raise CalendarError(f"year {year} is out of range")
    parsed = parse_calendar({"days": list(days)}, source=f"holidays {year}")
    outside = sorted(d.isoformat() for d in parsed.holidays if d.year != year)
    if outside:
        raise CalendarError(f"holidays {year}: dates outside {year}: {', '.join(outside)}")
    session.execute(
        delete(HolidayRow).where(
            HolidayRow.day >= date(year, 1, 1), HolidayRow.day <= date(year, 12, 31)
        )
    )
    now = utcnow()
    session.add_all(
        HolidayRow(
            day=h.day,
            kind=h.kind,
            name_id=h.name_id,
            name_en=h.name_en,
            estimate=h.estimate,
            updated_by=actor,
            updated_at=now,
        )
        for h in parsed.holidays.values()
    )
    session.flush()
    return sorted(parsed.holidays.values(), key=lambda h: h.day)


def holidays_view(holidays: Iterable[Holiday]) -> list[dict[str, Any]]:
    return [
        {
            "date": h.day.isoformat(),
            "weekday": h.day.strftime("%A").lower(),
            "kind": h.kind,
            "name_id": h.name_id,
            "name_en": h.name_en,
            "estimate": h.estimate,
        }
        for h in sorted(holidays, key=lambda h: h.day)
    ]


# --- timelines -----------------------------------------------------------------------------

EventFacts = tuple[str, str | None, datetime, Mapping[str, Any] | None]  # type, status, at, data


def timeline_of(created_at: datetime, events: Iterable[EventFacts]) -> Timeline:
    """A report's milestones from its timeline entries (in order); pure."""
    received, dispatched, acknowledged, resolved, stopped = created_at, None, None, None, None
    for kind, status, at, data in events:
        extra = data or {}
        if kind == "complaint.inbox" and dispatched is None:
            dispatched = at  # no connected app: the OPD has it in its inbox in the hub
        if kind != updates.STATUS_CHANGED or status is None:
            continue
        state = Status(status)
        if state == Status.RECEIVED and extra.get("returned"):
            received, dispatched, acknowledged, resolved = at, None, None, None
        elif state == Status.DISPATCHED:
            dispatched = dispatched or at
        elif state in (Status.ACKNOWLEDGED, Status.IN_PROGRESS):
            if extra.get("reopen"):
                acknowledged, resolved = at, None
            else:
                dispatched = dispatched or at
                acknowledged = acknowledged or at
        elif state == Status.RESOLVED:
            dispatched = dispatched or at
            acknowledged = acknowledged or at
            resolved = at
        elif state in _STOPS:
            stopped = at
    return Timeline(received, dispatched, acknowledged, resolved, stopped)


def timelines(session: Session, complaints: Sequence[Complaint]) -> dict[uuid.UUID, Timeline]:
    """Milestones of many complaints, one query per BATCH of them."""
    facts: dict[uuid.UUID, list[EventFacts]] = {c.id: [] for c in complaints}
    ids = list(facts)
    for start in range(0, len(ids), BATCH):
        rows = session.execute(
            select(
                ComplaintEvent.complaint_id,
                ComplaintEvent.type,
                ComplaintEvent.status,
                ComplaintEvent.occurred_at,
                ComplaintEvent.data,
            )
            .where(
                ComplaintEvent.complaint_id.in_(ids[start : start + BATCH]),
                ComplaintEvent.type.in_((updates.STATUS_CHANGED, "complaint.inbox")),
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
        )
        for complaint_id, kind, status, at, data in rows:
            facts[complaint_id].append((kind, status, at, data))
    return {c.id: timeline_of(c.created_at, facts[c.id]) for c in complaints}


# --- what a complaint shows ----------------------------------------------------------------


def _clock_view(clock: StageClock, now: datetime) -> dict[str, Any]:
    return {
        "stage": clock.stage.value,
        "working_days": clock.working_days,
        "started_at": clock.started_at.isoformat(),
        "due_at": clock.due_at.isoformat(),
        "completed_at": clock.completed_at.isoformat() if clock.completed_at else None,
        "late": clock.late,
        "overdue": clock.overdue_at(now),
    }


def complaint_fields(
    session: Session,
    complaint: Complaint,
    now: datetime,
    *,
    policy: SlaPolicy | None = None,
    calendar: HolidayCalendar | None = None,
) -> dict[str, Any]:
    """`service_level` for `GET /v1/complaints/{id}`: the running stage, its deadline, whether
    it is overdue, the escalation level reached, and every stage's clock."""
    cal = calendar or db_calendar(session)
    timeline = timelines(session, [complaint])[complaint.id]
    clocks = stage_clocks(timeline, complaint.category, now, policy=policy, calendar=cal)
    running = next((c for c in clocks if c.open), None)
    reached = _escalated_levels(session, complaint.id)
    level = max((lvl for key, lvl in reached if running and key == _key(running)), default=0)
    return {
        "service_level": {
            "stage": running.stage.value if running else None,
            "due_at": running.due_at.isoformat() if running else None,
            "overdue": running.overdue_at(now) if running else False,
            "escalation": EscalationLevel(level).name.lower(),
            "stages": [_clock_view(c, now) for c in clocks],
        }
    }


def expected_resolution(
    session: Session, complaints: Sequence[Complaint], *, policy: SlaPolicy | None = None
) -> dict[uuid.UUID, datetime]:
    """The resolution deadline of each open complaint whose resolution clock runs (Open311's
    expected_datetime)."""
    running = [c for c in complaints if c.status in RUNNING]
    if not running:
        return {}
    cal = db_calendar(session)
    now = utcnow()
    found = {}
    for complaint_id, timeline in timelines(session, running).items():
        category = next(c.category for c in running if c.id == complaint_id)
        for clock in stage_clocks(timeline, category, now, policy=policy, calendar=cal):
            if clock.stage == Stage.RESOLUTION and clock.open:
                found[complaint_id] = clock.due_at
    return found


# --- overdue and escalation ----------------------------------------------------------------


def _candidates(session: Session, now: datetime, pol: SlaPolicy) -> list[Complaint]:
    """Running complaints old enough to be overdue (no deadline comes sooner than the
    shortest stage's working days, each at least a calendar day)."""
    days = [*pol.defaults.values(), *(n for v in pol.categories.values() for n in v.values())]
    shortest = min(days, default=1)
    return list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.status.in_(RUNNING),
                Complaint.created_at <= now - timedelta(days=shortest),
            )
            .order_by(Complaint.created_at, Complaint.id)
        )
    )


def overdue_counts(
    session: Session,
    institutions: Sequence[str | None] | None,
    now: datetime,
    *,
    policy: SlaPolicy | None = None,
) -> dict[str | None, int]:
    """Running reports past their stage deadline at `now`, per assigned institution."""
    pol = policy or default_policy()
    cal = db_calendar(session)
    wanted = None if institutions is None else set(institutions)
    rows = [c for c in _candidates(session, now, pol) if wanted is None or c.institution in wanted]
    counts: dict[str | None, int] = {}
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        lines = timelines(session, chunk)
        for complaint in chunk:
            clocks = stage_clocks(
                lines[complaint.id], complaint.category, now, policy=pol, calendar=cal
            )
            if any(c.overdue_at(now) for c in clocks):
                counts[complaint.institution] = counts.get(complaint.institution, 0) + 1
    return counts


OverdueCounter = Callable[[Session, Sequence[str | None]], Mapping[str | None, int]]


def make_overdue_counter(clock: Callable[[], datetime] = utcnow) -> OverdueCounter:
    """The `app.state.overdue_counter` hub.oversight's stats use."""

    def count(session: Session, institutions: Sequence[str | None]) -> dict[str | None, int]:
        return overdue_counts(session, institutions, clock())

    return count


def _key(clock: StageClock) -> tuple[str, str]:
    return clock.stage.value, clock.started_at.astimezone(WIB).isoformat()


def _escalated_levels(
    session: Session, complaint_id: uuid.UUID
) -> set[tuple[tuple[str, str], int]]:
    rows = session.scalars(
        select(ComplaintEvent.data).where(
            ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.type == ESCALATED
        )
    )
    found = set()
    for data in rows:
        try:
            key = (str(data["stage"]), str(data["stage_started_at"]))
            found.add((key, int(data["level_value"])))
        except (KeyError, TypeError, ValueError):
            continue
    return found


@dataclass
class CheckReport:
    examined: int = 0
    overdue: int = 0
    escalations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "overdue": self.overdue,
            "escalated": len(self.escalations),
            "escalations": self.escalations,
        }


def _level_escalation(
    timeline: Timeline,
    category: str | None,
    now: datetime,
    level: EscalationLevel,
    pol: SlaPolicy,
    cal: HolidayCalendar,
) -> Escalation:
    """The escalation at `level` (a lower level than the one due now is told too, once)."""
    if level == EscalationLevel.OPD_HEAD:
        pol = dataclasses.replace(pol, inspektorat_after=10**6)
    return escalation(timeline, category, now, policy=pol, calendar=cal)


def _escalate(
    session: Session,
    complaint: Complaint,
    clock: StageClock,
    esc: Escalation,
    now: datetime,
) -> dict[str, Any]:
    from hub.notifications.service import emit  # late: notifications imports delivery

    stage, started = _key(clock)
    data = esc.as_dict() | {
        "level_value": int(esc.level),
        "stage_started_at": started,
        "institution": complaint.institution,
    }
    updates.append_event(
        session,
        complaint,
        type=ESCALATED,
        actor=ACTOR,
        internal_note=f"{esc.message_id} / {esc.message_en}",
        data=data,
        occurred_at=now,
    )
    notice = {
        "complaint_id": str(complaint.id),
        "tracking_code": complaint.tracking_code,
        "institution": complaint.institution,
        "category": complaint.category,
        "stage": stage,
        "level": data["level"],
        "target": esc.target,
        "due_at": data["due_at"],
        "working_days_late": esc.working_days_late,
        "message": data["message"],
    }
    emit(session, OVERDUE, notice, subject=complaint.tracking_code)
    log.info("%s escalated to %s (%s overdue)", complaint.tracking_code, data["level"], stage)
    return {"tracking_code": complaint.tracking_code, "stage": stage, "level": data["level"]}


def check(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    policy: SlaPolicy | None = None,
) -> CheckReport:
    """Escalate every overdue report once per level; safe to run again and again (the beat
    task `hub.sla.check`). One transaction per batch of overdue reports; each is row-locked
    and its timeline re-read before it is escalated."""
    pol = policy or default_policy()
    report = CheckReport()
    with factory() as session:
        cal = db_calendar(session)
        rows = _candidates(session, now, pol)
        report.examined = len(rows)
        lines = timelines(session, rows)
        # A first pass without locks: most running reports are in time.
        ids = [
            c.id
            for c in rows
            if escalation(lines[c.id], c.category, now, policy=pol, calendar=cal).level
            != EscalationLevel.NONE
        ]
    for start in range(0, len(ids), BATCH):
        with transaction(factory) as session:
            for complaint_id in ids[start : start + BATCH]:
                complaint = updates.find_complaint(session, complaint_id=complaint_id)
                if complaint is None or complaint.status not in RUNNING:
                    continue  # moved on since the first pass
                timeline = timelines(session, [complaint])[complaint.id]
                due = escalation(timeline, complaint.category, now, policy=pol, calendar=cal)
                if due.level == EscalationLevel.NONE:
                    continue
                report.overdue += 1
                clock = next(
                    c
                    for c in stage_clocks(
                        timeline, complaint.category, now, policy=pol, calendar=cal
                    )
                    if c.overdue_at(now)
                )
                done = {lvl for key, lvl in _escalated_levels(session, complaint.id)
                        if key == _key(clock)}  # fmt: skip
                for level in range(EscalationLevel.OPD_HEAD, due.level + 1):
                    if level in done:
                        continue
                    esc = _level_escalation(
                        timeline, complaint.category, now, EscalationLevel(level), pol, cal
                    )
                    report.escalations.append(_escalate(session, complaint, clock, esc, now))
                    session.flush()
    return report
