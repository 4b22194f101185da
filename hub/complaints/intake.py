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
    """Store, triage and route in one transaction; after the commit, hand staged messages to the
    queue (a broker outage only delays them: the beat sweep finds them in the outbox)."""
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
        relay = getattr(state, "after_intake", None)
        if relay is not None:
            relay(intake.complaint.id)
    return intake
