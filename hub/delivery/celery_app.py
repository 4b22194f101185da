"""The Celery application of the delivery engine.

Start a worker with its beat (embedded profile, one machine):

    celery -A hub.delivery.celery_app worker --pool=prefork -c 4 -B -s data/celerybeat-schedule

In production run the beat once, separately: `celery -A hub.delivery.celery_app beat`.
The broker only carries ids (JSON); the outbox table is the truth, so losing the broker loses
nothing: the beat's sweep re-enqueues whatever is due.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_init, worker_process_init

from hub.delivery import embedded_broker, relay
from hub.delivery.config import DeliverySettings, get_delivery_settings
from hub.settings import Settings, get_settings

__all__ = ["celery_app", "make_celery"]

# Redis redelivers an unacked task after this long; far above one attempt's lease, so a task is
# redelivered only when its worker really died (and then the lease check makes it harmless).
VISIBILITY_TIMEOUT = 3600
# Seconds between service-level checks: deadlines fall at the end of a working day, so a
# quarter of an hour is prompt enough and cheap.
SLA_CHECK_INTERVAL = 900.0


def _transport_options(broker_url: str) -> dict[str, object]:
    """Redis needs a visibility timeout; kombu's SQLAlchemy transport hands every option to
    `create_engine()` (which refuses unknown ones), so it gets none."""
    if broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
        return {"visibility_timeout": VISIBILITY_TIMEOUT}
    return {}


def make_celery(settings: Settings, delivery: DeliverySettings | None = None) -> Celery:
    d = delivery or get_delivery_settings()
    broker, transport = embedded_broker.celery_url(settings.effective_broker_url)
    app = Celery("hub", broker=broker, include=["hub.delivery.tasks", "hub.sla.tasks"])
    if transport is not None:
        app.conf.broker_transport = transport
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_backend=settings.result_backend,
        task_ignore_result=True,
        task_acks_late=True,  # a worker dying mid-task leaves the message for another
        # Safe only with an attempt cap: attempts are counted when a message is leased, so a
        # message that kills its worker every time is dead-lettered after the budget.
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # a task that raises is acked: retries are ours
        worker_prefetch_multiplier=1,
        task_default_queue=d.queue,
        task_time_limit=int(d.lease_seconds + 30),  # hard kill well after the call cap
        broker_transport_options=_transport_options(settings.effective_broker_url),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "outbox-sweep": {
                "task": "hub.delivery.sweep",
                "schedule": d.sweep_interval,
                "options": {"expires": max(d.sweep_interval * 2, 1.0)},
            },
            "prune-delivered": {
                "task": "hub.delivery.prune_delivered",
                "schedule": d.housekeeping_interval,
                "options": {"expires": d.housekeeping_interval},
            },
            "purge-expired-auth": {
                "task": "hub.ops.purge_expired",
                "schedule": d.housekeeping_interval,
                "options": {"expires": d.housekeeping_interval},
            },
            "sla-check": {  # overdue reports escalate (hub.sla.tasks)
                "task": "hub.sla.check",
                "schedule": SLA_CHECK_INTERVAL,
                "options": {"expires": SLA_CHECK_INTERVAL},
            },
            "status-poll": {
                "task": "hub.delivery.poll_all",
                "schedule": d.poll_interval,
                "options": {"expires": d.poll_interval},
            },
        },
    )
    return app


celery_app = make_celery(get_settings())


@worker_init.connect
def _worker_starting(**_: object) -> None:
    relay.install()  # inherited by forked children; covers the solo/threads pools too


@worker_process_init.connect
def _fresh_process(**_: object) -> None:
    """After fork: no database connection or event loop may be shared with the parent; and
    commits inside tasks (a complaint dispatched, a polled update) relay what they staged."""
    from hub.delivery.runtime import get_runtime

    get_runtime()
    relay.install()
