"""The relay: enqueue after commit; a broker outage loses nothing; the sweep's rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from delivery_fakes import add_complaint
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.delivery import outbox, relay
from hub.delivery.models import MessageState, OutboxMessage


def stage(factory: sessionmaker[Session], target: str | None = "opd-a") -> uuid.UUID:
    with factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        m = outbox.stage(
            session, kind="deliver_complaint", payload={}, target=target, complaint_id=c.id
        )
        assert outbox.staged_ids(session) == ([m.id] if target else [])
    return m.id


def edit(factory: sessionmaker[Session], mid: uuid.UUID, **values: object) -> None:
    with factory() as session, session.begin():
        m = session.get(OutboxMessage, mid)
        assert m is not None
        for k, v in values.items():
            setattr(m, k, v)


def test_nothing_is_enqueued_before_the_commit(
    factory: sessionmaker[Session], enqueued: list[uuid.UUID]
) -> None:
    with factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        m = outbox.stage(
            session, kind="deliver_complaint", payload={}, target="x", complaint_id=c.id
        )
        session.flush()
        assert enqueued == []
    assert enqueued == [m.id]


def test_a_broker_outage_at_enqueue_is_logged_and_left_to_the_sweep(
    factory: sessionmaker[Session], enqueued: list[uuid.UUID]
) -> None:
    def broker_down(_: uuid.UUID) -> None:
        raise ConnectionError("redis is down")

    relay.set_sender(broker_down)
    mid = stage(factory)  # the commit succeeds although the enqueue failed
    with factory() as session:
        assert session.get(OutboxMessage, mid) is not None
    relay.set_sender(enqueued.append)
    edit(factory, mid, enqueued_at=utcnow() - timedelta(minutes=5))
    assert relay.sweep(factory, grace=60) == 1
    assert enqueued == [mid]


def test_the_sweep_takes_only_due_unleased_and_not_recently_enqueued_messages(
    factory: sessionmaker[Session], enqueued: list[uuid.UUID]
) -> None:
    relay.set_sender(lambda _: None)
    long_ago = utcnow() - timedelta(minutes=5)
    due = stage(factory)
    fresh = stage(factory)  # just enqueued by the relay: in the broker already
    future = stage(factory)
    leased = stage(factory)
    lapsed = stage(factory)  # its worker died: the lease ran out
    done = stage(factory)
    unrouted = stage(factory, target=None)
    for mid in (due, future, leased, lapsed, done, unrouted):
        edit(factory, mid, enqueued_at=long_ago)
    edit(factory, future, next_attempt_at=utcnow() + timedelta(hours=1))
    edit(factory, leased, leased_until=utcnow() + timedelta(minutes=1))
    edit(factory, lapsed, leased_until=utcnow() - timedelta(seconds=1))
    edit(factory, done, state=MessageState.DELIVERED)
    relay.set_sender(enqueued.append)
    assert relay.sweep(factory, grace=60) == 2
    assert set(enqueued) == {due, lapsed}
    assert relay.sweep(factory, grace=60) == 0  # now recently enqueued
    assert fresh not in enqueued


def test_a_sweep_during_an_outage_leaves_the_messages_for_the_next_sweep(
    factory: sessionmaker[Session], enqueued: list[uuid.UUID]
) -> None:
    mid = stage(factory)
    enqueued.clear()
    edit(factory, mid, enqueued_at=utcnow() - timedelta(minutes=5))

    def broker_down(_: uuid.UUID) -> None:
        raise ConnectionError("down")

    relay.set_sender(broker_down)
    assert relay.sweep(factory, grace=60) == 0
    relay.set_sender(enqueued.append)
    assert relay.sweep(factory, grace=60) == 1 and enqueued == [mid]


def test_unknown_message_kinds_are_refused(factory: sessionmaker[Session]) -> None:
    with factory() as session, pytest.raises(ValueError, match="unknown message kind"):
        outbox.stage(session, kind="carrier_pigeon", payload={})
