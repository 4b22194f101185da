"""Status updates by polling, resuming from a stored cursor."""

from __future__ import annotations

from datetime import UTC, datetime

from delivery_fakes import FakeResolver, add_complaint
from sqlalchemy import select

from hub.complaints.models import Complaint, ComplaintEvent
from hub.delivery.models import PollCursor
from hub.delivery.polling import poll_target
from hub.delivery.runtime import Runtime


def feed_item(event: str, status: str, hour: int) -> dict[str, str]:
    return {
        "external_ref": "P-1",
        "status": status,
        "occurred_at": datetime(2026, 11, 29, hour, tzinfo=UTC).isoformat(),
        "source_event_id": event,
    }


def test_polling_applies_each_update_once_and_resumes_from_the_cursor(
    rt: Runtime, fake_resolver: FakeResolver
) -> None:
    fake_resolver.configs["opd-a"]["feed"] = [
        feed_item("p1", "acknowledged", 9),
        feed_item("p2", "in_progress", 10),
        feed_item("p1", "acknowledged", 9),  # the app sends one twice
    ]
    with rt.factory() as session, session.begin():
        c = add_complaint(session, status="dispatched", external_refs={"opd-a": "P-1"})
    assert list(fake_resolver.poll_targets()) == ["opd-a"]

    first = poll_target(rt, "opd-a")
    second = poll_target(rt, "opd-a")
    third = poll_target(rt, "opd-a")

    assert (first.fetched, first.outcomes) == (2, {"applied": 2})
    assert (second.fetched, second.outcomes) == (1, {"duplicate": 1})
    assert third.fetched == 0
    with rt.factory() as session:
        cursor = session.get(PollCursor, "opd-a")
        assert cursor is not None and cursor.cursor == "3" and cursor.updates_applied == 2
        row = session.get(Complaint, c.id)
        assert row is not None and row.status == "in_progress"
        assert len(session.scalars(select(ComplaintEvent)).all()) == 2


def test_a_failing_poll_is_recorded_and_keeps_the_cursor(rt: Runtime) -> None:
    report = poll_target(rt, "unknown-instance")
    assert report.error and "unknown connector instance" in report.error
    with rt.factory() as session:
        cursor = session.get(PollCursor, "unknown-instance")
        assert cursor is not None and cursor.cursor is None and cursor.last_error
