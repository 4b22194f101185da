"""Housekeeping on the beat: delivered history is pruned, dead letters stay, SSO rows purged."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from conftest import Clock
from delivery_fakes import CountingServer
from delivery_fakes import stage_delivery as stage
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import LoginAttempt
from hub.delivery import engine, tasks
from hub.delivery.celery_app import make_celery
from hub.delivery.config import DeliverySettings
from hub.delivery.engine import Step
from hub.delivery.models import DeliveryAttempt, MessageState, OutboxMessage
from hub.delivery.runtime import Runtime, configure
from hub.settings import Settings

MakeRt = Callable[..., Runtime]


def states(factory: sessionmaker[Session]) -> dict[uuid.UUID, str]:
    with factory() as session:
        return {m.id: m.state for m in session.scalars(select(OutboxMessage))}


def test_delivered_messages_past_retention_are_pruned_with_their_attempts_dead_letters_stay(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(clock, retry_schedule=[0], retention_days=30)
    configure(rt)
    old, dead = stage(db_factory), stage(db_factory, "no-such-instance")
    assert engine.process(rt, old) == Step.DELIVERED
    assert engine.process(rt, dead) == Step.DEAD
    clock.advance(days=29)
    recent = stage(db_factory)
    assert engine.process(rt, recent) == Step.DELIVERED
    pending = stage(db_factory, "opd-b")

    assert tasks.prune_delivered() == 0  # 29 days: nothing is old enough yet
    clock.advance(days=1, seconds=1)
    assert tasks.prune_delivered() == 1

    assert states(db_factory) == {
        dead: MessageState.DEAD,
        recent: MessageState.DELIVERED,
        pending: MessageState.PENDING,
    }
    with db_factory() as session:
        kept = set(session.scalars(select(DeliveryAttempt.message_id)))
    assert kept == {dead, recent}


def test_expired_sso_rows_are_purged_by_the_beat_task(
    make_rt: MakeRt, clock: Clock, db_factory: sessionmaker[Session]
) -> None:
    configure(make_rt(clock, auth_retention_days=7))
    with db_factory() as session, session.begin():
        session.add(LoginAttempt(identifier="a", ip="10.0.0.1", succeeded=False, at=clock.now))
        session.add(
            LoginAttempt(
                identifier="b", ip="10.0.0.1", succeeded=True, at=clock.now - timedelta(days=8)
            )
        )
    counts = tasks.purge_expired_auth()
    assert counts["login_attempts"] == 1
    with db_factory() as session:
        assert session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_the_beat_runs_housekeeping_on_its_interval() -> None:
    app = make_celery(
        Settings(env="test"), DeliverySettings(housekeeping_interval=900, resolver=None)
    )
    schedule = app.conf.beat_schedule
    assert schedule["prune-delivered"]["task"] == "hub.delivery.prune_delivered"
    assert schedule["purge-expired-auth"]["task"] == "hub.ops.purge_expired"
    assert schedule["prune-delivered"]["schedule"] == 900
    assert {"hub.delivery.prune_delivered", "hub.ops.purge_expired"} <= set(
        tasks.celery_app.tasks.keys()
    )
