"""The Celery application: Redis in production, an embedded SQLite broker for `hub up`."""

from __future__ import annotations

from celery import Celery

from hub.settings import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("hub", broker=settings.effective_broker_url, include=["hub.delivery.tasks"])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
    )
    if settings.effective_broker_url.startswith(("redis://", "rediss://")):
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
    return app


celery_app = make_celery(get_settings())
