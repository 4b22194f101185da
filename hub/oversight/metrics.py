"""Per-OPD performance from complaint timelines: pure functions, no database, no framework.

Definitions (what the public page says they mean):
- received: every report assigned to the OPD;
- in progress: not yet resolved and not closed in any other way;
- resolved: resolved (selesai) or closed after resolution;
- other closed: rejected, redirected to another authority, or a duplicate;
- time to first response: from the first `dispatched` step to the next status step (the OPD's
  first reaction, whatever it is: acknowledged, in progress, resolved, sent back...);
- time to resolution: from receipt to the first `resolved` step (or `closed` when a report was
  closed without one); a reopened report keeps its first resolution time.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.models import Status

IN_PROGRESS = frozenset(
    {
        Status.RECEIVED,
        Status.TRIAGED,
        Status.DISPATCHED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
    }
)
RESOLVED = frozenset({Status.RESOLVED, Status.CLOSED})
OTHER_CLOSED = frozenset({Status.REJECTED, Status.REDIRECTED, Status.DUPLICATE})


@dataclass(frozen=True)
class Step:
    status: Status
    at: datetime


@dataclass(frozen=True)
class Timeline:
    institution: str | None
    status: Status  # current
    created_at: datetime
    steps: Sequence[Step]  # status steps in timeline order


def first_response(steps: Sequence[Step]) -> timedelta | None:
    for index, step in enumerate(steps):
        if step.status == Status.DISPATCHED:
            for later in steps[index + 1 :]:
                if later.status != Status.DISPATCHED:
                    return max(later.at - step.at, timedelta(0))
            return None
    return None


def resolution(created_at: datetime, steps: Sequence[Step]) -> timedelta | None:
    for wanted in (Status.RESOLVED, Status.CLOSED):
        for step in steps:
            if step.status == wanted:
                return max(step.at - created_at, timedelta(0))
    return None


def median_hours(durations: Iterable[timedelta]) -> float | None:
    hours = [d.total_seconds() / 3600 for d in durations]
    return round(statistics.median(hours), 1) if hours else None


@dataclass
class OpdStats:
    institution: str | None
    received: int = 0
    in_progress: int = 0
    resolved: int = 0
    other_closed: int = 0
    overdue: int = 0
    median_first_response_hours: float | None = None
    median_resolution_hours: float | None = None
    _responses: list[timedelta] = field(default_factory=list, repr=False)
    _resolutions: list[timedelta] = field(default_factory=list, repr=False)


def per_opd(
    timelines: Iterable[Timeline], overdue: Mapping[str | None, int] | None = None
) -> list[OpdStats]:
    """One row per institution (None: not yet assigned), most reports first."""
    rows: dict[str | None, OpdStats] = {}
    for timeline in timelines:
        row = rows.setdefault(timeline.institution, OpdStats(timeline.institution))
        row.received += 1
        if timeline.status in IN_PROGRESS:
            row.in_progress += 1
        elif timeline.status in RESOLVED:
            row.resolved += 1
        else:
            row.other_closed += 1
        response = first_response(timeline.steps)
        if response is not None:
            row._responses.append(response)
        resolved = resolution(timeline.created_at, timeline.steps)
        if resolved is not None:
            row._resolutions.append(resolved)
    for row in rows.values():
        row.median_first_response_hours = median_hours(row._responses)
        row.median_resolution_hours = median_hours(row._resolutions)
        row.overdue = (overdue or {}).get(row.institution, 0)
    return sorted(rows.values(), key=lambda r: (-r.received, r.institution or "~"))
