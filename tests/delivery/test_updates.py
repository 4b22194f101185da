"""Status updates in: found by id or external ref, de-duplicated, through the state machine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from delivery_fakes import add_complaint
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.complaints.models import Complaint, ComplaintEvent
from hub.complaints.updates import ApplyOutcome, apply_status_update, source_key
from hub.delivery.models import OutboxMessage
from hub.notifications.service import create_subscription
from schemas.models import Status, StatusUpdate

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.fixture
def complaint_id(factory: sessionmaker[Session]) -> uuid.UUID:
    with factory() as session, session.begin():
        c = add_complaint(session, status="dispatched", external_refs={"opd-a": "DLH-42"})
    return c.id


def update(minutes: int = 0, **kw: object) -> StatusUpdate:
    doc: dict[str, object] = dict(
        external_ref="DLH-42",
        status=Status.ACKNOWLEDGED,
        occurred_at=T0 + timedelta(minutes=minutes),
        source_event_id="e1",
    )
    doc.update(kw)
    return StatusUpdate.model_validate(doc)


def apply(factory: sessionmaker[Session], u: StatusUpdate, source: str = "opd-a") -> ApplyOutcome:
    with factory() as session, session.begin():
        return apply_status_update(session, u, source=source).outcome


def timeline(factory: sessionmaker[Session], cid: uuid.UUID) -> list[tuple[str, str | None]]:
    with factory() as session:
        rows = session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == cid)
            .order_by(ComplaintEvent.seq)
        )
        return [(e.type, e.status) for e in rows]


def status(factory: sessionmaker[Session], cid: uuid.UUID) -> str:
    with factory() as session:
        c = session.get(Complaint, cid)
        assert c is not None
        return c.status


def test_an_update_by_external_ref_moves_the_complaint_and_lands_on_the_timeline(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    assert apply(factory, update(note="Sedang diproses")) == ApplyOutcome.APPLIED
    assert status(factory, complaint_id) == "acknowledged"
    assert timeline(factory, complaint_id) == [("complaint.status_changed", "acknowledged")]
    with factory() as session:
        c = session.get(Complaint, complaint_id)
        assert c is not None and c.last_update_at == T0


def test_an_update_by_complaint_id_works_too(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    u = update(external_ref=None, complaint_id=str(complaint_id))
    assert apply(factory, u, source="anything") == ApplyOutcome.APPLIED


def test_a_ref_is_only_known_to_the_connector_instance_that_issued_it(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    assert apply(factory, update(), source="opd-b") == ApplyOutcome.NOT_FOUND
    assert status(factory, complaint_id) == "dispatched"


def test_a_repeated_update_is_applied_once(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    assert apply(factory, update()) == ApplyOutcome.APPLIED
    assert apply(factory, update(minutes=5, status=Status.IN_PROGRESS)) == ApplyOutcome.DUPLICATE
    assert status(factory, complaint_id) == "acknowledged"
    assert len(timeline(factory, complaint_id)) == 1


def test_an_out_of_order_update_never_moves_a_report_back(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    assert apply(factory, update(10, status=Status.IN_PROGRESS, source_event_id="e2")) == "applied"
    older = update(5, status=Status.ACKNOWLEDGED, source_event_id="e1")
    assert apply(factory, older) == ApplyOutcome.STALE
    newer_but_behind = update(20, status=Status.ACKNOWLEDGED, source_event_id="e3")
    assert apply(factory, newer_but_behind) == ApplyOutcome.STALE
    assert status(factory, complaint_id) == "in_progress"


def test_a_same_status_update_with_a_note_adds_the_note_only(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    u = update(status=Status.DISPATCHED, note="Tim sedang ke lokasi")
    assert apply(factory, u) == ApplyOutcome.NOTED
    assert timeline(factory, complaint_id) == [("complaint.note_added", None)]
    assert apply(factory, u) == ApplyOutcome.DUPLICATE
    assert apply(factory, update(status=Status.DISPATCHED, source_event_id="e9")) == "noop"


def test_an_illegal_update_is_refused_with_the_reason(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    assert apply(factory, update(status=Status.CLOSED, source_event_id="x")) == "illegal"
    with factory() as session, session.begin():
        result = apply_status_update(session, update(status=Status.CLOSED), source="opd-a")
    assert "cannot move a complaint from dispatched to closed" in result.detail
    assert timeline(factory, complaint_id) == []


def test_a_redirect_keeps_where_the_citizen_should_go(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    u = update(status=Status.REDIRECTED, redirect_to="polda-lampung", note="Wewenang kepolisian")
    assert apply(factory, u) == ApplyOutcome.APPLIED
    with factory() as session:
        (event,) = session.scalars(select(ComplaintEvent))
        assert event.data["redirect_to"] == "polda-lampung" and event.note == "Wewenang kepolisian"


def test_an_applied_update_stages_a_notification_for_subscribers(
    factory: sessionmaker[Session], complaint_id: uuid.UUID
) -> None:
    fernet = Fernet(Fernet.generate_key())
    with factory() as session, session.begin():
        create_subscription(
            session,
            fernet,
            url="https://superapp.example/hooks",
            event_types=["complaint.status_changed"],
        )
        create_subscription(
            session, fernet, url="https://other.example/hooks", event_types=["complaint.created"]
        )
    with factory() as session, session.begin():
        result = apply_status_update(session, update(), source="opd-a")
    assert len(result.notifications) == 1
    with factory() as session:
        (message,) = session.scalars(select(OutboxMessage))
        assert (
            message.kind == "webhook"
            and message.payload["event_type"] == "complaint.status_changed"
        )
        assert '"status":"acknowledged"' in message.payload["body"]


def test_event_ids_are_namespaced_by_source_and_bounded() -> None:
    assert source_key("opd-a", "1") != source_key("opd-b", "1")
    long = source_key("opd-a", "x" * 300)
    assert len(long) <= 200 and long.startswith("opd-a:sha256:")
