"""The per-OPD rate limit: the engine defers messages instead of calling the app too often.

The bucket lives in the target's database row, so every worker process shares it; two runtimes
on one database stand in for two worker processes.  Clocks are injected: nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import Clock
from delivery_fakes import CountingServer
from delivery_fakes import load_message as msg
from delivery_fakes import stage_delivery as stage
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.delivery import engine, ratelimit, tasks
from hub.delivery.engine import Step
from hub.delivery.models import MessageState
from hub.delivery.runtime import Runtime, configure
from hub.delivery.service import set_rate_limit

MakeRt = Callable[..., Runtime]


def limit(factory: sessionmaker[Session], per_minute: int | None, target: str = "opd-a") -> None:
    with factory() as session, session.begin():
        set_rate_limit(session, target, per_minute)


def test_gcra_spaces_calls_evenly_and_books_slots_for_the_waiting() -> None:
    t0 = utcnow()
    first = ratelimit.take(60, None, t0)
    assert first.allowed and first.tat == t0 + timedelta(seconds=1)
    second = ratelimit.take(60, first.tat, t0)
    assert not second.allowed and second.slot == t0 + timedelta(seconds=1)
    third = ratelimit.take(60, second.tat, t0)
    assert not third.allowed and third.slot == t0 + timedelta(seconds=2)
    # Once the booked slots have passed, the steady rate applies again.
    later = ratelimit.take(60, third.tat, t0 + timedelta(seconds=3))
    assert later.allowed


def test_a_burst_lets_that_many_calls_through_back_to_back() -> None:
    t0, tat = utcnow(), None
    for _ in range(3):
        verdict = ratelimit.take(60, tat, t0, burst=3)
        assert verdict.allowed
        tat = verdict.tat
    assert not ratelimit.take(60, tat, t0, burst=3).allowed
    assert ratelimit.take(None, None, t0).allowed  # no limit set
    with pytest.raises(ValueError):
        ratelimit.take(0, None, t0)


def test_the_engine_defers_messages_beyond_the_rate_without_calling_the_app(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(clock, max_in_flight=10)
    limit(db_factory, 60)  # one call a second
    a, b, c = (stage(db_factory) for _ in range(3))
    t0 = clock.now

    assert engine.process(rt, a) == Step.DELIVERED
    assert engine.process(rt, b) == Step.THROTTLED
    assert engine.process(rt, c) == Step.THROTTLED
    assert set(server.of("opd-a").raw) == {str(a)}
    mb, mc = msg(db_factory, b), msg(db_factory, c)
    assert mb.next_attempt_at == t0 + timedelta(seconds=1) and mb.attempts == 0  # no budget
    assert mc.next_attempt_at == t0 + timedelta(seconds=2)

    assert engine.process(rt, b) == Step.SKIPPED  # not its slot yet
    clock.advance(seconds=1)
    assert engine.process(rt, b) == Step.DELIVERED  # its booked slot: no second refusal
    assert engine.process(rt, c) == Step.SKIPPED
    clock.advance(seconds=1)
    assert engine.process(rt, c) == Step.DELIVERED
    assert {k: n for k, n in server.of("opd-a").raw.items()} == {str(a): 1, str(b): 1, str(c): 1}
    assert msg(db_factory, c).attempts == 1


def test_the_limit_is_shared_by_every_worker_process(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    worker_1, worker_2 = make_rt(clock), make_rt(clock)
    limit(db_factory, 30)  # one call every two seconds
    a, b = stage(db_factory), stage(db_factory)

    assert engine.process(worker_1, a) == Step.DELIVERED
    assert engine.process(worker_2, b) == Step.THROTTLED
    assert msg(db_factory, b).next_attempt_at == clock.now + timedelta(seconds=2)


def test_other_targets_and_unlimited_targets_are_not_throttled(
    make_rt: MakeRt, clock: Clock, server: CountingServer, db_factory: sessionmaker[Session]
) -> None:
    rt = make_rt(clock)
    limit(db_factory, 1)
    assert engine.process(rt, stage(db_factory)) == Step.DELIVERED
    assert engine.process(rt, stage(db_factory)) == Step.THROTTLED
    assert engine.process(rt, stage(db_factory, "opd-b")) == Step.DELIVERED
    assert engine.process(rt, stage(db_factory, "opd-b")) == Step.DELIVERED
    limit(db_factory, None)  # lifted
    assert engine.process(rt, stage(db_factory)) == Step.DELIVERED


def test_a_throttled_task_comes_back_for_its_slot(
    make_rt: MakeRt,
    clock: Clock,
    server: CountingServer,
    db_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rt = make_rt(clock)
    configure(rt)
    limit(db_factory, 20)  # every three seconds
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda **kw: published.append(kw))
    a, b = stage(db_factory), stage(db_factory)

    assert tasks.deliver(str(a)) == "delivered"
    assert tasks.deliver(str(b)) == "throttled"

    (again,) = published
    assert again["args"] == (str(b),) and again["countdown"] == pytest.approx(3.0)
    m = msg(db_factory, b)
    assert m.state == MessageState.PENDING and m.enqueued_at == clock.now
