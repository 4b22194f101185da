"""Staff decide on possible duplicates: confirm (the citizen follows the original) or dismiss."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.access import Principal, require
from hub.complaints import updates, views
from hub.complaints.models import Complaint
from hub.db import transaction, utcnow
from hub.duplicates import service
from hub.problems import Conflict, Forbidden, NotFound, Unprocessable

router = APIRouter(prefix="/v1", tags=["duplicates"])

CONFIRM = "/v1/complaints/{complaint_id}/duplicate/confirm"
DISMISS = "/v1/complaints/{complaint_id}/duplicate/dismiss"


class ConfirmBody(BaseModel):
    original_id: uuid.UUID


class DismissBody(BaseModel):
    original_id: uuid.UUID | None = None  # None: every open suggestion


def _staff_complaint(session: Session, complaint_id: uuid.UUID, who: Principal) -> Complaint:
    """The complaint, row-locked, if `who` is its OPD's staff or an admin."""
    complaint = updates.find_complaint(session, complaint_id=complaint_id)
    if complaint is None or not views.visible(who, complaint):
        raise NotFound(f"No complaint {complaint_id}.")
    if not who.is_admin and (who.opd is None or who.opd != complaint.institution):
        raise Forbidden("Only staff of the OPD the report is assigned to, or an admin, decide.")
    return complaint


def state_view(session: Session, complaint: Complaint) -> dict[str, Any]:
    data: dict[str, Any] = {
        "complaint_id": str(complaint.id),
        "tracking_code": complaint.tracking_code,
        "status": complaint.status,
    }
    data.update(service.complaint_fields(session, complaint, staff=True))
    return data


def _clock(request: Request) -> Any:
    return getattr(request.app.state, "clock", utcnow)()


@router.post(
    "/complaints/{complaint_id}/duplicate/confirm",
    summary="Confirm a report as a duplicate of an earlier one",
)
def confirm_duplicate(
    complaint_id: uuid.UUID,
    body: ConfirmBody,
    request: Request,
    principal: Principal = Depends(require("POST", CONFIRM)),
) -> dict[str, Any]:
    actor = principal.subject or principal.client_id or "staff"
    with transaction(request.app.state.sessionmaker) as session:
        complaint = _staff_complaint(session, complaint_id, principal)
        original = session.get(Complaint, body.original_id)
        if original is None:
            raise Unprocessable(
                f"No complaint {body.original_id}.",
                errors=[{"pointer": "/original_id", "detail": "unknown complaint"}],
            )
        try:
            service.confirm(session, complaint, original, actor=actor, now=_clock(request))
        except service.InvalidDuplicate as exc:
            raise Unprocessable(
                str(exc), errors=[{"pointer": "/original_id", "detail": str(exc)}]
            ) from None
        except service.DuplicateConflict as exc:
            raise Conflict(str(exc)) from None
        return state_view(session, complaint)


@router.post(
    "/complaints/{complaint_id}/duplicate/dismiss",
    summary="Dismiss a duplicate suggestion (or all of them)",
)
def dismiss_duplicate(
    complaint_id: uuid.UUID,
    request: Request,
    body: DismissBody | None = Body(None),
    principal: Principal = Depends(require("POST", DISMISS)),
) -> dict[str, Any]:
    actor = principal.subject or principal.client_id or "staff"
    original_id = body.original_id if body else None
    with transaction(request.app.state.sessionmaker) as session:
        complaint = _staff_complaint(session, complaint_id, principal)
        try:
            service.dismiss(
                session, complaint, actor=actor, original_id=original_id, now=_clock(request)
            )
        except service.InvalidDuplicate as exc:
            raise Unprocessable(
                str(exc), errors=[{"pointer": "/original_id", "detail": str(exc)}]
            ) from None
        except service.DuplicateConflict as exc:
            raise Conflict(str(exc)) from None
        return state_view(session, complaint)
