"""Celery tasks; each takes ids only and reloads state."""

from __future__ import annotations

from hub.delivery.celery_app import celery_app


@celery_app.task(name="hub.ping")
def ping() -> str:
    """Round-trip check used by `hub up` and readiness probes."""
    return "pong"
