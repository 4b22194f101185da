"""The Celery layer: configuration, and the thin tasks over the engine (run in process)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from delivery_fakes import FakeResolver, add_complaint

from hub.delivery import engine, outbox, tasks
from hub.delivery.celery_app import make_celery
from hub.delivery.config import DeliverySettings
from hub.delivery.runtime import Runtime
from hub.settings import Settings


def test_the_celery_app_is_configured_for_at_least_once_delivery() -> None:
    app = make_celery(
        Settings(broker_url="redis://127.0.0.1:1/0"), DeliverySettings(sweep_interval=3)
    )
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_transport_options == {"visibility_timeout": 3600}
    assert conf.beat_schedule["outbox-sweep"]["schedule"] == 3
    assert conf.beat_schedule["status-poll"]["task"] == "hub.delivery.poll_all"


def test_the_embedded_broker_gets_no_transport_options_it_would_choke_on() -> None:
    app = make_celery(Settings(broker_url="sqla+sqlite:///x.sqlite3"), DeliverySettings())
    assert app.conf.broker_transport_options == {}


def stage(rt: Runtime, target: str = "opd-a") -> uuid.UUID:
    with rt.factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        m = outbox.stage(
            session, kind="deliver_complaint", payload={}, target=target, complaint_id=c.id
        )
    return m.id


def test_the_deliver_task_runs_one_attempt(rt: Runtime) -> None:
    assert tasks.deliver(str(stage(rt))) == "delivered"


def test_a_busy_target_is_offered_again_after_a_short_countdown(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda **kw: calls.append(kw))
    rt.settings = rt.settings.model_copy(update={"max_in_flight": 1})
    first = stage(rt)
    engine.lease(rt, first)  # holds the only slot
    second = stage(rt)
    assert tasks.deliver(str(second)) == "busy"
    (call,) = calls
    assert call["args"] == (str(second),) and 0.5 <= call["countdown"] <= 1.5


def test_the_sweep_task_enqueues_due_messages(rt: Runtime, enqueued: list[uuid.UUID]) -> None:
    mid = stage(rt)
    enqueued.clear()
    rt.settings = rt.settings.model_copy(update={"sweep_grace": 0.0})
    assert tasks.sweep() == 1 and enqueued == [mid]


def test_poll_all_enqueues_one_poll_per_pollable_instance(
    rt: Runtime, fake_resolver: FakeResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_resolver.configs["opd-b"]["feed"] = []
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.poll, "apply_async", lambda **kw: calls.append(kw))
    assert tasks.poll_all() == 1
    assert [c["args"] for c in calls] == [("opd-b",)]
    assert tasks.poll("opd-b") == {"target": "opd-b", "fetched": 0, "error": None}
