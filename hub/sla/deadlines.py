"""Stage deadlines per category (SP4N-LAPOR!) and escalation when they pass.

Stages and their clocks, in working days:

    triage          received      -> dispatched    (forwarded to the OPD)          3
    acknowledgement dispatched    -> acknowledged  (the OPD's first response)      5
    resolution      acknowledged  -> resolved      (closure after the response)   10

A policy may override the numbers per category. An overdue stage escalates first to the
head of the OPD (`opd_head`) and, still overdue `inspektorat_after` working days later, to
the provincial Inspektorat. A report that left the flow (redirected, rejected, duplicate,
closed) has no running clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

from hub.sla.calendar import (
    WIB,
    HolidayCalendar,
    add_working_days,
    end_of_day,
    packaged_calendar,
    working_days_between,
)

__all__ = [
    "Escalation",
    "EscalationLevel",
    "PolicyError",
    "SlaPolicy",
    "Stage",
    "StageClock",
    "Timeline",
    "default_policy",
    "escalation",
    "overdue",
    "parse_policy",
    "stage_clocks",
]

INSPEKTORAT = "inspektorat-prov"


class Stage(StrEnum):
    TRIAGE = "triage"
    ACKNOWLEDGEMENT = "acknowledgement"
    RESOLUTION = "resolution"


STAGE_LABELS: Mapping[Stage, Mapping[str, str]] = {
    Stage.TRIAGE: {"id": "penerusan ke instansi", "en": "forwarding to the institution"},
    Stage.ACKNOWLEDGEMENT: {"id": "tanggapan instansi", "en": "the institution's response"},
    Stage.RESOLUTION: {"id": "penyelesaian", "en": "resolution"},
}


class EscalationLevel(IntEnum):
    NONE = 0
    OPD_HEAD = 1
    INSPEKTORAT = 2


class PolicyError(ValueError):
    """A service-level policy that cannot be used."""


@dataclass(frozen=True)
class SlaPolicy:
    """Working days per stage, with per-category overrides."""

    defaults: Mapping[Stage, int] = field(
        default_factory=lambda: {
            Stage.TRIAGE: 3,
            Stage.ACKNOWLEDGEMENT: 5,
            Stage.RESOLUTION: 10,
        }
    )
    categories: Mapping[str, Mapping[Stage, int]] = field(default_factory=dict)
    inspektorat_after: int = 5

    def working_days(self, category: str | None, stage: Stage) -> int:
        override = self.categories.get(category or "", {})
        return override.get(stage, self.defaults[stage])


def parse_policy(data: Any) -> SlaPolicy:
    """{"defaults": {stage: n}, "categories": {code: {stage: n}}, "inspektorat_after": n}."""
    if not isinstance(data, Mapping):
        raise PolicyError("the policy must be an object")

    def stages(raw: Any, where: str, complete: bool) -> dict[Stage, int]:
        if not isinstance(raw, Mapping):
            raise PolicyError(f"{where}: must be an object of stage -> working days")
        out: dict[Stage, int] = {}
        for key, value in raw.items():
            try:
                stage = Stage(key)
            except ValueError:
                names = ", ".join(s.value for s in Stage)
                raise PolicyError(f"{where}: unknown stage {key!r} (one of {names})") from None
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
                raise PolicyError(f"{where}.{key}: must be a whole number of days, 1 to 365")
            out[stage] = value
        if complete and set(out) != set(Stage):
            raise PolicyError(f"{where}: must give every stage ({', '.join(Stage)})")
        return out

    defaults = stages(data.get("defaults", {}), "defaults", complete=True)
    cats_raw = data.get("categories", {})
    if not isinstance(cats_raw, Mapping):
        raise PolicyError("categories: must be an object of category -> stages")
    categories = {
        str(code): stages(value, f"categories.{code}", complete=False)
        for code, value in cats_raw.items()
        if not str(code).startswith("_")
    }
    after = data.get("inspektorat_after", 5)
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= 365:
        raise PolicyError("inspektorat_after: must be a whole number of working days")
    return SlaPolicy(defaults=defaults, categories=categories, inspektorat_after=after)


@lru_cache(maxsize=1)
def default_policy() -> SlaPolicy:
    text = resources.files("hub.sla").joinpath("data", "policy.json").read_text("utf-8")
    return parse_policy(json.loads(text))


@dataclass(frozen=True, slots=True)
class Timeline:
    """When a report reached each milestone (aware datetimes); None: not yet."""

    received_at: datetime
    dispatched_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    stopped_at: datetime | None = None  # redirected, rejected, duplicate or closed

    def __post_init__(self) -> None:
        for name in (
            "received_at",
            "dispatched_at",
            "acknowledged_at",
            "resolved_at",
            "stopped_at",
        ):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class StageClock:
    stage: Stage
    working_days: int
    started_at: datetime
    due_at: datetime  # end of the due day, WIB
    completed_at: datetime | None
    late: bool  # completed after due_at, or still open past it
    open: bool  # the stage is running now

    def overdue_at(self, now: datetime) -> bool:
        return self.open and now > self.due_at


def _clock(
    stage: Stage,
    start: datetime,
    end: datetime | None,
    n: int,
    calendar: HolidayCalendar,
    now: datetime,
    stopped: bool,
) -> StageClock:
    due = end_of_day(add_working_days(start, n, calendar))
    running = end is None and not stopped
    late = (end > due) if end is not None else (running and now > due)
    return StageClock(stage, n, start.astimezone(WIB), due, end, late, running)


def stage_clocks(
    timeline: Timeline,
    category: str | None,
    now: datetime,
    *,
    policy: SlaPolicy | None = None,
    calendar: HolidayCalendar | None = None,
) -> list[StageClock]:
    """The clocks of the stages that have started, in order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    pol = policy or default_policy()
    cal = calendar or packaged_calendar()
    stopped = timeline.stopped_at is not None
    clocks = []
    milestones = (
        (Stage.TRIAGE, timeline.received_at, timeline.dispatched_at),
        (Stage.ACKNOWLEDGEMENT, timeline.dispatched_at, timeline.acknowledged_at),
        (Stage.RESOLUTION, timeline.acknowledged_at, timeline.resolved_at),
    )
    for stage, start, end in milestones:
        if start is None:
            break
        n = pol.working_days(category, stage)
        clocks.append(_clock(stage, start, end, n, cal, now, stopped))
    return clocks


def overdue(
    timeline: Timeline,
    category: str | None,
    now: datetime,
    *,
    policy: SlaPolicy | None = None,
    calendar: HolidayCalendar | None = None,
) -> StageClock | None:
    """The running stage if its deadline has passed at `now`, else None."""
    for clock in stage_clocks(timeline, category, now, policy=policy, calendar=calendar):
        if clock.overdue_at(now):
            return clock
    return None


@dataclass(frozen=True, slots=True)
class Escalation:
    level: EscalationLevel
    stage: Stage | None
    target: str | None  # "opd_head" or the Inspektorat's institution code
    due_at: datetime | None
    working_days_late: int
    message_id: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.name.lower(),
            "stage": self.stage.value if self.stage else None,
            "target": self.target,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "working_days_late": self.working_days_late,
            "message": {"id": self.message_id, "en": self.message_en},
        }


_NONE = Escalation(EscalationLevel.NONE, None, None, None, 0, "", "")


def escalation(
    timeline: Timeline,
    category: str | None,
    now: datetime,
    *,
    policy: SlaPolicy | None = None,
    calendar: HolidayCalendar | None = None,
) -> Escalation:
    """Who must be told about an overdue report now; level NONE when nothing is overdue.

    The caller records the level it has already escalated to and acts when this one is
    higher, so escalation is idempotent across beat runs.
    """
    pol = policy or default_policy()
    cal = calendar or packaged_calendar()
    clock = overdue(timeline, category, now, policy=pol, calendar=cal)
    if clock is None:
        return _NONE
    late_days = working_days_between(clock.due_at, now, cal)
    label = STAGE_LABELS[clock.stage]
    due_text = clock.due_at.strftime("%d-%m-%Y")
    if late_days >= pol.inspektorat_after:
        return Escalation(
            EscalationLevel.INSPEKTORAT,
            clock.stage,
            INSPEKTORAT,
            clock.due_at,
            late_days,
            f"Batas waktu {label['id']} ({due_text}) terlewati {late_days} hari kerja; "
            "diteruskan ke Inspektorat Provinsi Lampung.",
            f"The deadline for {label['en']} ({due_text}) passed {late_days} working days ago; "
            "escalated to the Lampung provincial Inspectorate.",
        )
    return Escalation(
        EscalationLevel.OPD_HEAD,
        clock.stage,
        "opd_head",
        clock.due_at,
        late_days,
        f"Batas waktu {label['id']} ({due_text}) terlewati; kepala OPD diminta menindaklanjuti.",
        f"The deadline for {label['en']} ({due_text}) has passed; the head of the OPD is asked "
        "to act.",
    )
