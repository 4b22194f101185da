"""Suspension and the human fallback lane: a dead app's complaints wait in the OPD's inbox.

Runs on SQLite and PostgreSQL, with the counting OPD server and an injected clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import Clock
from cryptography.fernet import Fernet
from delivery_fakes import Behaviour, CountingServer
from delivery_fakes import load_message as msg
from delivery_fakes import stage_delivery as stage
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import AuditEvent
from hub.complaints.lifecycle import IllegalTransition, Outcome, decide
from hub.complaints.models import Complaint, ComplaintEvent
from hub.complaints.updates import change_status
from hub.delivery import engine, suspension
from hub.delivery.engine import Step
from hub.delivery.models import MessageState, OutboxMessage, TargetState
from hub.delivery.runtime import Runtime
from hub.notifications.service import create_subscription
from schemas.models import Status

MakeRt = Callable[..., Runtime]


def timeline(factory: sessionmaker[Session], message_id: uuid.UUID) -> list[str]:
    with factory() as session:
        m = session.get(OutboxMessage, message_id)
        assert m is not None
        rows = session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == m.complaint_id)
            .order_by(ComplaintEvent.seq)
        )
        return [e.type for e in rows]


def complaint_of(factory: sessionmaker[Session], message_id: uuid.UUID) -> Complaint:
    with factory() as session:
        m = session.get(OutboxMessage, message_id)
        assert m is not None
        c = session.get(Complaint, m.complaint_id)
        assert c is not None
        return c


def subscribe_ops(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        create_subscription(
            session,
            Fernet(Fernet.generate_key()),
            url="http://127.0.0.1:9/ops",
            event_types=["connector.suspended"],
            owner="dinas-pu",
        )


def webhooks(factory: sessionmaker[Session], event_type: str) -> list[dict[str, Any]]:
    with factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
        return [m.payload for m in rows if m.payload["event_type"] == event_type]


def test_after_m_dead_letters_in_a_row_the_target_is_suspended_and_waiting_complaints_go_to_the_inbox(  # noqa: E501
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(clock, retry_schedule=[0], suspend_after_dead=2, breaker_threshold=100)
    subscribe_ops(db_factory)
    server.set("opd-a", Behaviour(status=503))
    first, second, waiting = (stage(db_factory) for _ in range(3))

    assert engine.process(rt, first) == Step.DEAD
    assert msg(db_factory, waiting).state == MessageState.PENDING  # one dead letter: not yet
    assert engine.process(rt, second) == Step.DEAD

    assert msg(db_factory, waiting).state == MessageState.PARKED
    assert timeline(db_factory, waiting) == ["complaint.inbox"]
    assert complaint_of(db_factory, waiting).status == "triaged"  # waits for OPD staff
    assert str(waiting) not in server.of("opd-a").raw  # never sent to the dead app
    (event,) = webhooks(db_factory, "connector.suspended")
    assert '"target":"opd-a"' in event["body"] and "2 messages dead-lettered" in event["body"]
    with db_factory() as session:
        (audit,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "connector.suspended")
        )
        assert audit.target == "connector-instance:opd-a" and audit.details["parked"] == 1
        view = suspension.view(session, "opd-a")
    assert view["suspended"] is True and view["parked"] == 1 and view["dead_streak"] == 2


def test_a_complaint_staged_for_a_suspended_target_is_parked_without_calling_the_app(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(clock, retry_schedule=[0], suspend_after_dead=1)
    server.set("opd-a", Behaviour(status=503))
    assert engine.process(rt, stage(db_factory)) == Step.DEAD  # suspends at once
    later = stage(db_factory)

    assert engine.process(rt, later) == Step.PARKED
    assert engine.process(rt, later) == Step.SKIPPED  # parked once, one inbox entry
    assert timeline(db_factory, later) == ["complaint.inbox"]
    assert str(later) not in server.of("opd-a").raw
    # Other targets are not affected.
    assert engine.process(rt, stage(db_factory, "opd-b")) == Step.DELIVERED


def test_a_target_whose_every_call_failed_for_n_hours_is_suspended(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(
        clock,
        retry_schedule=[0, 3600, 3600, 3600, 3600],
        suspend_after_hours=2,
        suspend_after_dead=None,
        breaker_threshold=100,
    )
    server.set("opd-a", Behaviour(status=503))
    mid = stage(db_factory)
    assert engine.process(rt, mid) == Step.RETRY
    with db_factory() as session:
        row = session.get(TargetState, "opd-a")
        assert row is not None and row.failing_since == clock.now and row.suspended_at is None

    clock.advance(hours=1)
    assert engine.process(rt, mid) == Step.RETRY  # failing for 1 h: still trying
    clock.advance(hours=1, seconds=1)
    assert engine.process(rt, mid) == Step.PARKED  # failing for over 2 h: suspended

    m = msg(db_factory, mid)
    assert m.state == MessageState.PARKED and m.attempts == 3
    assert timeline(db_factory, mid) == ["complaint.inbox"]


def test_an_app_that_answers_is_not_failing_even_when_it_refuses_a_message(
    make_rt: MakeRt, clock: Clock, db_factory: sessionmaker[Session]
) -> None:
    row = TargetState(target="opd-a", dead_streak=0)
    now = clock.now
    suspension.record_outcome(row, delivered=False, answered=False, dead=False, now=now)
    assert row.failing_since == now
    suspension.record_outcome(row, delivered=False, answered=True, dead=True, now=now)
    assert row.failing_since is None and row.dead_streak == 1  # a 4xx still counts as dead
    suspension.record_outcome(row, delivered=True, answered=True, dead=False, now=now)
    assert row.dead_streak == 0
    cfg = suspension.SuspensionConfig(after_failing=timedelta(hours=3), after_dead=None)
    assert suspension.should_suspend(now, 99, now + timedelta(hours=2), cfg) is None
    assert suspension.should_suspend(now, 0, now + timedelta(hours=3), cfg) is not None
    with pytest.raises(ValueError):
        suspension.SuspensionConfig(after_dead=0)


def test_resuming_replays_parked_messages_and_never_moves_a_complaint_back(
    make_rt: MakeRt,
    clock: Clock,
    server: CountingServer,
    db_factory: sessionmaker[Session],
    enqueued: list[uuid.UUID],
) -> None:
    rt = make_rt(clock, retry_schedule=[0], suspend_after_dead=1)
    server.set("opd-a", Behaviour(status=503))
    dead = stage(db_factory)
    assert engine.process(rt, dead) == Step.DEAD
    handled, untouched = stage(db_factory), stage(db_factory)
    assert engine.process(rt, handled) == Step.PARKED
    assert engine.process(rt, untouched) == Step.PARKED
    # Meanwhile OPD staff work the first one from the hub's inbox, by hand.
    with db_factory() as session, session.begin():
        c = session.get(Complaint, msg(db_factory, handled).complaint_id)
        assert c is not None
        change_status(session, c, Status.DISPATCHED, actor="staff:dinas-pu")
        change_status(session, c, Status.IN_PROGRESS, actor="staff:dinas-pu")
    server.set("opd-a", Behaviour())  # the app is back
    enqueued.clear()

    with db_factory() as session, session.begin():
        assert suspension.resume(session, "opd-a", clock.now, actor="admin-1") == 2
    assert sorted(enqueued) == sorted([handled, untouched])  # relayed after commit
    assert msg(db_factory, dead).state == MessageState.DEAD  # dead letters stay for admins

    assert engine.process(rt, handled) == Step.DELIVERED
    assert engine.process(rt, untouched) == Step.DELIVERED
    assert complaint_of(db_factory, handled).status == "in_progress"  # not back to dispatched
    assert timeline(db_factory, handled)[-1] == "complaint.delivered"
    assert complaint_of(db_factory, untouched).status == "dispatched"
    counts = server.of("opd-a")
    assert counts.raw[str(handled)] == 1 and counts.raw[str(untouched)] == 1
    m = msg(db_factory, handled)
    assert m.attempts == 1 and m.replays == 1  # a fresh budget after the replay
    with db_factory() as session:
        assert suspension.view(session, "opd-a")["suspended"] is False
        (audit,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "connector.resumed")
        )
        assert audit.actor == "admin-1" and audit.details["replayed"] == 2


@pytest.mark.parametrize("current", ["in_progress", "resolved", "closed"])
def test_the_state_machine_never_moves_a_complaint_back_to_dispatched(current: str) -> None:
    decision = decide(Status(current), Status.DISPATCHED)
    assert decision.outcome == Outcome.STALE  # ignored: the delivery is only recorded


def test_a_rejected_complaint_cannot_be_dispatched_at_all() -> None:
    with pytest.raises(IllegalTransition):
        decide(Status.REJECTED, Status.DISPATCHED)
