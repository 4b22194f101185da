"""A report's milestones as the service levels read them from its timeline (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.sla.service import timeline_of

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 6, 8, 9, tzinfo=WIB)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def changed(status: str, hours: int, **data: Any) -> tuple[str, str, datetime, dict[str, Any]]:
    return ("complaint.status_changed", status, at(hours), data)


def test_the_flow_fills_each_milestone_once() -> None:
    line = timeline_of(
        T0,
        [
            changed("triaged", 1),
            changed("dispatched", 2),
            changed("acknowledged", 3),
            changed("in_progress", 4),
            changed("resolved", 5),
        ],
    )
    assert (line.received_at, line.dispatched_at, line.acknowledged_at, line.resolved_at) == (
        T0,
        at(2),
        at(3),
        at(5),
    )
    assert line.stopped_at is None


def test_an_inbox_placement_is_the_forwarding_and_any_response_is_the_acknowledgement() -> None:
    line = timeline_of(
        T0,
        [changed("triaged", 1), ("complaint.inbox", None, at(1), {}), changed("in_progress", 30)],
    )
    assert (line.dispatched_at, line.acknowledged_at) == (at(1), at(30))
    resolved_at_once = timeline_of(T0, [changed("dispatched", 2), changed("resolved", 9)])
    assert resolved_at_once.acknowledged_at == at(9) == resolved_at_once.resolved_at


def test_a_report_sent_back_to_triage_starts_its_triage_clock_again() -> None:
    line = timeline_of(
        T0,
        [
            changed("dispatched", 2),
            changed("acknowledged", 3),
            changed("received", 5, returned=True),
        ],
    )
    assert (line.received_at, line.dispatched_at, line.acknowledged_at) == (at(5), None, None)


def test_a_reopened_report_gets_a_fresh_resolution_clock() -> None:
    line = timeline_of(
        T0,
        [
            changed("dispatched", 2),
            changed("acknowledged", 3),
            changed("resolved", 5),
            changed("in_progress", 50, reopen=True),
        ],
    )
    assert (line.acknowledged_at, line.resolved_at) == (at(50), None)


def test_a_report_that_left_the_flow_is_stopped() -> None:
    for status in ("redirected", "rejected", "duplicate", "closed"):
        assert timeline_of(T0, [changed(status, 1)]).stopped_at == at(1)
