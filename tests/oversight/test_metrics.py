"""Per-OPD performance from timelines (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.oversight.metrics import Step, Timeline, first_response, median_hours, per_opd, resolution
from schemas.models import Status

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def steps(*pairs: tuple[Status, float]) -> list[Step]:
    return [Step(status, at(hours)) for status, hours in pairs]


def test_first_response_runs_from_dispatch_to_the_next_status_step() -> None:
    timeline = steps(
        (Status.RECEIVED, 0),
        (Status.TRIAGED, 1),
        (Status.DISPATCHED, 2),
        (Status.DISPATCHED, 3),  # a repeated dispatch is not a response
        (Status.ACKNOWLEDGED, 26),
        (Status.RESOLVED, 50),
    )
    assert first_response(timeline) == timedelta(hours=24)
    sent_back = steps((Status.DISPATCHED, 2), (Status.RECEIVED, 5))
    assert first_response(sent_back) == timedelta(hours=3)  # "not ours" is a response too
    assert first_response(steps((Status.RECEIVED, 0), (Status.DISPATCHED, 2))) is None
    assert first_response(steps((Status.RECEIVED, 0), (Status.REDIRECTED, 1))) is None


def test_resolution_runs_from_receipt_to_the_first_resolution() -> None:
    reopened = steps(
        (Status.DISPATCHED, 1),
        (Status.RESOLVED, 10),
        (Status.IN_PROGRESS, 20),
        (Status.RESOLVED, 30),
    )
    assert resolution(T0, reopened) == timedelta(hours=10)
    assert resolution(T0, steps((Status.CLOSED, 7))) == timedelta(hours=7)
    assert resolution(T0, steps((Status.REJECTED, 7))) is None


def test_median_hours() -> None:
    assert median_hours([timedelta(hours=1), timedelta(hours=4), timedelta(hours=10)]) == 4.0
    assert median_hours([timedelta(minutes=30), timedelta(minutes=45)]) == 0.6
    assert median_hours([]) is None


def test_per_opd_counts_buckets_medians_and_overdue() -> None:
    def report(opd: str | None, status: Status, *pairs: tuple[Status, float]) -> Timeline:
        return Timeline(opd, status, T0, steps(*pairs))

    rows = per_opd(
        [
            report(
                "dlh",
                Status.RESOLVED,
                (Status.DISPATCHED, 1),
                (Status.ACKNOWLEDGED, 3),
                (Status.RESOLVED, 10),
            ),
            report("dlh", Status.IN_PROGRESS, (Status.DISPATCHED, 1), (Status.IN_PROGRESS, 7)),
            report("dlh", Status.DUPLICATE, (Status.DUPLICATE, 1)),
            report("bmbk", Status.ACKNOWLEDGED, (Status.DISPATCHED, 0), (Status.ACKNOWLEDGED, 1)),
            report(None, Status.RECEIVED),
        ],
        overdue={"bmbk": 1},
    )
    assert [r.institution for r in rows] == ["dlh", "bmbk", None]
    dlh, bmbk, unassigned = rows
    assert (dlh.received, dlh.in_progress, dlh.resolved, dlh.other_closed) == (3, 1, 1, 1)
    assert dlh.median_first_response_hours == 4.0  # median of 2 h and 6 h
    assert dlh.median_resolution_hours == 10.0
    assert (dlh.overdue, bmbk.overdue) == (0, 1)
    assert bmbk.median_resolution_hours is None
    assert (unassigned.received, unassigned.in_progress) == (1, 1)
