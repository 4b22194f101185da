"""Celery tasks: thin wrappers; they take ids, reload state and never retry by themselves."""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta

from celery import Celery

from hub.db import transaction
from hub.delivery import engine, housekeeping, relay
from hub.delivery.celery_app import celery_app, make_celery
from hub.delivery.polling import poll_target
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import get_runtime
from hub.settings import Settings

__all__ = [
    "deliver",
    "enqueue_deliver",
    "poll",
    "poll_all",
    "prune_delivered",
    "purge_expired_auth",
    "sweep",
]

log = logging.getLogger(__name__)

# Publishing from a request must fail fast when the broker is down (the sweep covers it).
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# A rate-limited message waiting longer than this for its slot is left to the sweep (countdowns
# stay far below the broker's visibility timeout).
MAX_COUNTDOWN = 300.0


@celery_app.task(name="hub.delivery.deliver")
def deliver(message_id: str) -> str:
    step = engine.process(get_runtime(), uuid.UUID(message_id))
    if step == engine.Step.BUSY:
        # The target is at its concurrency limit: try again in about a second (a short
        # countdown, far below the visibility timeout; long waits live in next_attempt_at).
        countdown = random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not security
        try:
            deliver.apply_async(
                args=(message_id,), countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY
            )
        except Exception as exc:  # the sweep offers it again after its grace period
            log.warning("re-enqueue of busy %s failed: %s", message_id, exc)
    elif step == engine.Step.THROTTLED:
        _come_back_at_slot(message_id)
    return step.value


def _come_back_at_slot(message_id: str) -> None:
    """Re-enqueue a throttled message for its booked slot (or leave it to the sweep)."""
    rt = get_runtime()
    wait = engine.seconds_until_due(rt, uuid.UUID(message_id))
    if wait is None or wait > MAX_COUNTDOWN:
        return
    try:
        deliver.apply_async(
            args=(message_id,), countdown=max(wait, 0.0), retry=True, retry_policy=PUBLISH_RETRY
        )
        engine.mark_enqueued(rt, uuid.UUID(message_id))
    except Exception as exc:
        log.warning("re-enqueue of throttled %s failed: %s", message_id, exc)


@celery_app.task(name="hub.delivery.sweep")
def sweep() -> int:
    rt = get_runtime()
    return relay.sweep(rt.factory, grace=rt.settings.sweep_grace, batch=rt.settings.sweep_batch)


@celery_app.task(name="hub.delivery.poll")
def poll(target: str) -> dict[str, object]:
    report = poll_target(get_runtime(), target)
    return {"target": report.target, "fetched": report.fetched, "error": report.error}


@celery_app.task(name="hub.delivery.poll_all")
def poll_all() -> int:
    targets = list(get_resolver().poll_targets())
    for target in targets:
        poll.apply_async(args=(target,), retry=True, retry_policy=PUBLISH_RETRY)
    return len(targets)


@celery_app.task(name="hub.delivery.prune_delivered")
def prune_delivered() -> int:
    """Delivered messages and their attempts past the retention window (dead letters stay)."""
    rt = get_runtime()
    retention = timedelta(days=rt.settings.retention_days)
    total = 0
    while True:  # batches in short transactions: no long lock on a busy outbox
        with transaction(rt.factory) as session:
            n = housekeeping.prune_delivered(session, rt.clock(), retention)
        total += n
        if n == 0:
            return total


@celery_app.task(name="hub.ops.purge_expired")
def purge_expired_auth() -> dict[str, int]:
    """auth.maintenance.purge_expired on the hub's database."""
    rt = get_runtime()
    retention = timedelta(days=rt.settings.auth_retention_days)
    with transaction(rt.factory) as session:
        return housekeeping.purge_auth(session, rt.clock(), retention)


def enqueue_deliver(message_id: uuid.UUID) -> None:
    """The relay's sender: one `deliver` task on the broker (raises if the broker is down)."""
    deliver.apply_async(args=(str(message_id),), retry=True, retry_policy=PUBLISH_RETRY)


class BrokerSender:
    """The relay's sender for an app whose settings may differ from the environment's (the
    demo, tests): publishes `deliver` to *that* app's broker, connecting on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._celery: Celery | None = None

    def __call__(self, message_id: uuid.UUID) -> None:
        if self._celery is None:
            self._celery = make_celery(self._settings)
        self._celery.send_task(
            deliver.name, args=(str(message_id),), retry=True, retry_policy=PUBLISH_RETRY
        )
