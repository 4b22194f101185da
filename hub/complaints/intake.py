"""Filing a complaint from any HTTP channel (unified API, Open311): one path for all of them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from hub.complaints import service
from hub.complaints.models import Complaint
from hub.duplicates import service as duplicates
from hub.ops.metrics import COMPLAINTS
from hub.routing import service as routing
from schemas.models import ComplaintSubmission


def file_complaint(
    request: Request,
    submission: ComplaintSubmission,
    *,
    reporter: str | None,
    idempotency_key: str | None,
    idempotency_scope: str,
) -> service.Intake:
    """Store, triage and route in one transaction. The delivery relay hands what it staged to
    the queue after the commit (a broker outage only delays it: the beat sweep finds it)."""
    state = request.app.state
    intake = service.submit(
        state.sessionmaker,
        submission,
        reporter=reporter,
        idempotency_key=idempotency_key,
        idempotency_scope=idempotency_scope,
        route=lambda session, complaint: _route(session, complaint, state),
    )
    if intake.created:
        COMPLAINTS.labels(submission.channel.value).inc()
    return intake


def _route(session: Session, complaint: Complaint, state: Any) -> None:
    """Route first (it may set the category), then link possible duplicates of open reports."""
    routing.route(session, complaint, state.triage)
    duplicates.suggest(session, complaint, duplicates.DuplicateRules.from_settings(state.settings))
