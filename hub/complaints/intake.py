"""Filing a complaint from any HTTP channel (unified API, Open311): one path for all of them."""

from __future__ import annotations

from fastapi import Request

from hub.complaints import service
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
        route=lambda session, complaint: routing.route(session, complaint, state.triage),
    )
    if intake.created:
        COMPLAINTS.labels(submission.channel.value).inc()
    return intake
