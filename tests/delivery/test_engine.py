"""One delivery attempt end to end, in process: SQLite, the counting OPD server, fake connector."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from delivery_fakes import Behaviour, CountingServer, add_complaint, fast_settings
from sqlalchemy import select

from hub.complaints.models import Complaint, ComplaintEvent
from hub.db import utcnow
from hub.delivery import engine, outbox, resolver
from hub.delivery.engine import Step
from hub.delivery.models import (
    DeliveryAttempt,
    MessageKind,
    MessageState,
    OutboxMessage,
    TargetState,
)
from hub.delivery.runtime import Runtime


def stage_one(rt: Runtime, target: str = "opd-a", **complaint: object) -> uuid.UUID:
    with rt.factory() as session, session.begin():
        c = add_complaint(session, **complaint)
        session.flush()
        m = outbox.stage(
            session,
            kind=MessageKind.DELIVER_COMPLAINT,
            payload={},
            target=target,
            complaint_id=c.id,
        )
    return m.id


def make_due(rt: Runtime, message_id: uuid.UUID) -> None:
    with rt.factory() as session, session.begin():
        m = session.get(OutboxMessage, message_id)
        assert m is not None
        m.next_attempt_at = utcnow() - timedelta(seconds=1)


def message(rt: Runtime, message_id: uuid.UUID) -> OutboxMessage:
    with rt.factory() as session:
        m = session.get(OutboxMessage, message_id)
        assert m is not None
        return m


def test_a_committed_message_is_enqueued_after_commit_and_delivered_once(
    rt: Runtime, server: CountingServer, enqueued: list[uuid.UUID]
) -> None:
    mid = stage_one(rt)
    assert enqueued == [mid]

    assert engine.process(rt, mid) == Step.DELIVERED

    counts = server.of("opd-a")
    assert counts.raw == {str(mid): 1}
    ref = counts.records[str(mid)]
    with rt.factory() as session:
        m = session.get(OutboxMessage, mid)
        assert m is not None and m.state == MessageState.DELIVERED and m.external_ref == ref
        c = session.get(Complaint, m.complaint_id)
        assert c is not None and c.status == "dispatched" and c.external_refs == {"opd-a": ref}
        events = session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id))
        assert [(e.type, e.status) for e in events] == [("complaint.status_changed", "dispatched")]
        (attempt,) = session.scalars(select(DeliveryAttempt))
        assert attempt.outcome == "delivered" and attempt.status_code == 201
        assert attempt.number == 1 and attempt.duration_ms >= 0


def test_the_opd_gets_only_the_fields_its_connector_declares(
    rt: Runtime, server: CountingServer
) -> None:
    mid = stage_one(rt)
    engine.process(rt, mid)
    body = server.of("opd-a").bodies[str(mid)]
    assert "contact" not in body and "reporter" not in body
    assert body["location"]["region"] == "bandar-lampung"
    with rt.factory() as session:
        (attempt,) = session.scalars(select(DeliveryAttempt))
        assert "contact" not in (attempt.fields_sent or []) and "title" in (
            attempt.fields_sent or []
        )


def test_a_rolled_back_transaction_enqueues_nothing(rt: Runtime, enqueued: list[uuid.UUID]) -> None:
    with pytest.raises(RuntimeError), rt.factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        outbox.stage(
            session, kind="deliver_complaint", payload={}, target="opd-a", complaint_id=c.id
        )
        raise RuntimeError("the intake failed after staging")
    assert enqueued == []
    with rt.factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_a_transient_failure_is_retried_later_and_then_delivered(
    rt: Runtime, server: CountingServer
) -> None:
    server.set("opd-a", Behaviour(fail_500=1))
    mid = stage_one(rt)
    before = utcnow()
    assert engine.process(rt, mid) == Step.RETRY
    m = message(rt, mid)
    assert m.state == MessageState.PENDING and m.attempts == 1 and m.leased_until is None
    assert before <= m.next_attempt_at <= utcnow() + timedelta(seconds=0.2)
    assert m.last_error and "500" in m.last_error

    make_due(rt, mid)
    assert engine.process(rt, mid) == Step.DELIVERED
    assert server.of("opd-a").raw[str(mid)] == 2 and len(server.of("opd-a").records) == 1
    with rt.factory() as session:
        outcomes = [
            a.outcome for a in session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
        ]
    assert outcomes == ["transient", "delivered"]


def test_retry_after_from_the_app_is_honoured(rt: Runtime, server: CountingServer) -> None:
    server.set("opd-a", Behaviour(status=429, retry_after="120"))
    mid = stage_one(rt)
    assert engine.process(rt, mid) == Step.RETRY
    m = message(rt, mid)
    assert m.next_attempt_at >= utcnow() + timedelta(seconds=110)


def test_a_message_not_yet_due_is_left_alone(rt: Runtime, server: CountingServer) -> None:
    server.set("opd-a", Behaviour(status=429, retry_after="120"))
    mid = stage_one(rt)
    engine.process(rt, mid)
    assert engine.process(rt, mid) == Step.SKIPPED
    assert server.of("opd-a").raw[str(mid)] == 1


def test_a_permanent_error_dead_letters_at_once_with_an_operational_event(
    rt: Runtime, server: CountingServer
) -> None:
    server.set("opd-a", Behaviour(status=400))
    mid = stage_one(rt)
    assert engine.process(rt, mid) == Step.DEAD
    m = message(rt, mid)
    assert m.state == MessageState.DEAD and m.dead_at is not None and m.attempts == 1
    with rt.factory() as session:
        events = session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == m.complaint_id)
        )
        (event,) = events
        assert event.type == "complaint.delivery_failed" and "opd-a" in (event.internal_note or "")


def test_the_retry_budget_ends_in_the_dead_letter_list(rt: Runtime, server: CountingServer) -> None:
    rt.settings = fast_settings(breaker_threshold=100)  # keep the breaker out of this
    server.set("opd-b", Behaviour(fail_500=100))
    mid = stage_one(rt, target="opd-b")
    steps = []
    for _ in range(5):
        make_due(rt, mid)
        steps.append(engine.process(rt, mid))
    assert steps == [Step.RETRY] * 4 + [Step.DEAD]
    assert message(rt, mid).state == MessageState.DEAD
    assert message(rt, mid).attempts == 5  # the budget is the schedule's length


def test_two_workers_never_hold_the_same_message(rt: Runtime) -> None:
    mid = stage_one(rt)
    first_step, first = engine.lease(rt, mid)
    second_step, second = engine.lease(rt, mid)
    assert first is not None and first_step == Step.LEASED
    assert second is None and second_step == Step.SKIPPED
    assert message(rt, mid).attempts == 1


def test_a_worker_whose_lease_expired_cannot_finish_the_message(rt: Runtime) -> None:
    mid = stage_one(rt)
    _, stale = engine.lease(rt, mid)
    assert stale is not None
    with rt.factory() as session, session.begin():  # the lease lapses (worker presumed dead)
        m = session.get(OutboxMessage, mid)
        assert m is not None
        m.leased_until = utcnow() - timedelta(seconds=1)
    _, fresh = engine.lease(rt, mid)
    assert fresh is not None and fresh.number == 2
    late = engine.call(rt, stale)
    assert engine.finish(rt, stale, late) == Step.LEASE_LOST
    assert message(rt, mid).state == MessageState.PENDING
    assert engine.finish(rt, fresh, engine.call(rt, fresh)) == Step.DELIVERED


def test_the_breaker_opens_and_stops_calling_a_failing_app(
    rt: Runtime, server: CountingServer
) -> None:
    server.set("opd-b", Behaviour(fail_500=100))
    ids = [stage_one(rt, target="opd-b") for _ in range(5)]
    steps = [engine.process(rt, i) for i in ids]
    assert steps == [Step.RETRY] * 3 + [Step.DEFERRED] * 2
    assert sum(server.of("opd-b").raw.values()) == 3  # threshold 3; no calls while open
    with rt.factory() as session:
        row = session.get(TargetState, "opd-b")
        assert row is not None and row.breaker_state == "open" and row.open_until is not None
        deferred = session.get(OutboxMessage, ids[4])
        assert deferred is not None and deferred.attempts == 0
        assert deferred.next_attempt_at >= row.open_until
    # Another target is not affected.
    other = stage_one(rt, target="opd-a")
    assert engine.process(rt, other) == Step.DELIVERED


def test_the_half_open_probe_closes_the_breaker_when_the_app_is_back(
    rt: Runtime, server: CountingServer
) -> None:
    server.set("opd-b", Behaviour(fail_500=3))
    ids = [stage_one(rt, target="opd-b") for _ in range(4)]
    for i in ids[:3]:
        engine.process(rt, i)
    with rt.factory() as session, session.begin():  # the cooldown passes
        row = session.get(TargetState, "opd-b")
        assert row is not None
        row.open_until = utcnow() - timedelta(seconds=1)
    assert engine.process(rt, ids[3]) == Step.DELIVERED
    with rt.factory() as session:
        row = session.get(TargetState, "opd-b")
        assert row is not None and row.breaker_state == "closed" and row.failures == 0


def test_the_in_flight_cap_defers_messages_beyond_it(rt: Runtime) -> None:
    ids = [stage_one(rt, target="opd-a") for _ in range(3)]
    leases = [engine.lease(rt, i) for i in ids]
    assert [s for s, _ in leases] == [Step.LEASED, Step.LEASED, Step.BUSY]
    assert message(rt, ids[2]).attempts == 0


def test_a_timeout_is_capped_and_counted_as_transient(rt: Runtime, server: CountingServer) -> None:
    server.set("opd-a", Behaviour(blackhole=True))
    mid = stage_one(rt)
    assert engine.process(rt, mid) == Step.RETRY
    with rt.factory() as session:
        (attempt,) = session.scalars(select(DeliveryAttempt))
        assert attempt.outcome in ("transient", "timeout")
        assert attempt.duration_ms < 2500


def test_data_minimisation_keeps_what_is_declared_and_hides_anonymous_reporters(
    rt: Runtime,
) -> None:
    with rt.factory() as session, session.begin():
        public = add_complaint(session, reporter="sso|123")
        anonymous = add_complaint(session, privacy="anonymous", reporter="sso|456")
    everything = engine.build_complaint(public, None)
    assert everything.contact is not None and everything.reporter == "sso|123"
    hidden = engine.build_complaint(anonymous, None)
    assert hidden.contact is None and hidden.reporter is None
    declared = engine.build_complaint(anonymous, frozenset({"contact"}))
    assert declared.contact is not None and declared.location is None
    assert declared.reporter is None


def test_an_unknown_target_is_dead_lettered_as_a_configuration_error(rt: Runtime) -> None:
    mid = stage_one(rt, target="no-such-instance")
    assert engine.process(rt, mid) == Step.DEAD
    assert "unknown connector instance" in (message(rt, mid).last_error or "")


def test_a_worker_without_a_resolver_leaves_messages_pending(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    mid = stage_one(rt)
    resolver.set_resolver(None)  # and HUB_DELIVERY_RESOLVER is unset:
    monkeypatch.setattr("hub.delivery.config.get_delivery_settings", lambda: rt.settings)
    assert engine.process(rt, mid) == Step.SKIPPED
    m = message(rt, mid)
    assert m.state == MessageState.PENDING and m.attempts == 0


def test_a_poison_message_that_kills_its_worker_every_time_ends_as_a_dead_letter(
    rt: Runtime,
) -> None:
    mid = stage_one(rt)
    for number in range(1, 6):  # the schedule allows 5 attempts; each worker dies mid-call
        step, held = engine.lease(rt, mid)
        assert step == Step.LEASED and held is not None and held.number == number
        with rt.factory() as session, session.begin():  # its lease lapses
            m = session.get(OutboxMessage, mid)
            assert m is not None
            m.leased_until = utcnow() - timedelta(seconds=1)
    assert engine.process(rt, mid) == Step.DEAD
    m = message(rt, mid)
    assert m.state == MessageState.DEAD and "never finished" in (m.last_error or "")
