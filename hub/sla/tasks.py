"""Celery task `hub.sla.check`: escalate overdue reports (on the beat schedule)."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.delivery.celery_app import celery_app
from hub.delivery.runtime import get_runtime
from hub.sla import service

__all__ = ["check"]


@celery_app.task(name="hub.sla.check")
def check() -> dict[str, Any]:
    """Idempotent: a report is escalated once per level, however often this runs."""
    return service.check(get_runtime().factory, now=utcnow()).as_dict()
