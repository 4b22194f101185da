"""What an OPD does with its reports through the hub: its inbox, status changes, sending back.

    GET  /v1/opd/inbox                          reports routed to the caller's OPD, newest first
    POST /v1/complaints/{complaint_id}/status   {status, note?, internal_note?, redirect_to?,
                                                 duplicate_of?}
    POST /v1/complaints/{complaint_id}/return   {reason}: "not ours", re-routed at once

Only the assigned OPD's staff or clients (token `opd` claim = the report's institution) and hub
admins act on a report; to anyone else it does not exist (404), or, if public, is not theirs (403).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hub.access import Principal, require
from hub.complaints import actions, views
from hub.complaints.lifecycle import IllegalTransition
from hub.complaints.models import Complaint
from hub.db import transaction
from hub.deps import SessionDep, SettingsDep
from hub.problems import Conflict, Forbidden, NotFound, Unprocessable
from schemas.models import Code, Status

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["opd"])

INBOX = "/opd/inbox"
STATUS = "/complaints/{complaint_id}/status"
RETURN = "/complaints/{complaint_id}/return"


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: Annotated[str, Field(max_length=5000)] | None = Field(
        None, description="Public text the citizen reads (Bahasa Indonesia)."
    )
    internal_note: Annotated[str, Field(max_length=5000)] | None = None
    redirect_to: Code | None = Field(
        None, description="With status redirected: the institution the report belongs to."
    )
    duplicate_of: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="With status duplicate: the original's id or tracking code."
    )


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="Why the report is not this OPD's (kept on the internal timeline)."
    )


def _actor(principal: Principal) -> str:
    who = principal.subject or principal.client_id or "unknown"
    return f"{who} ({principal.opd})" if principal.opd and not principal.is_admin else who


def _assigned(session: Session, complaint_id: uuid.UUID, principal: Principal) -> Complaint:
    """The complaint, row-locked, if the caller's OPD is the one assigned (or an admin)."""
    complaint = actions.load(session, complaint_id)
    if principal.is_admin:
        return complaint
    if principal.opd is not None and principal.opd == complaint.institution:
        return complaint
    if not views.visible(principal, complaint):
        raise NotFound(f"No complaint {complaint_id}.")
    raise Forbidden("Only the OPD this report is assigned to (or a hub admin) may act on it.")


def _answer(complaint: Complaint, principal: Principal) -> dict[str, Any]:
    who = views.audience(principal, complaint)
    data = views.complaint_view(complaint, who)
    if views.visible(principal, complaint):
        data["timeline"] = [views.event_view(e, who) for e in complaint.events]
    return data


@router.get(INBOX, summary="Reports routed to the caller's OPD, newest first")
def opd_inbox(
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[list[Status] | None, Query()] = None,
    opd: Annotated[str | None, Query(description="Hub admins: whose inbox")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: str | None = None,
    principal: Principal = Depends(require("GET", "/v1" + INBOX)),
) -> dict[str, Any]:
    if principal.is_admin:
        owner = opd or principal.opd
        if owner is None:
            raise Unprocessable(
                "Name the OPD whose inbox to show.",
                errors=[{"pointer": "query:opd", "detail": "required for hub admins"}],
            )
    else:
        if principal.opd is None:
            raise Forbidden("Only OPD staff and OPD clients have an inbox.")
        if opd is not None and opd != principal.opd:
            raise Forbidden("An OPD sees only its own inbox.")
        owner = principal.opd
    rows, next_cursor = actions.inbox(
        session,
        owner,
        status=[s.value for s in status] if status else None,
        limit=min(limit, settings.page_size_max),
        cursor=cursor,
    )
    who = views.Audience.ADMIN if principal.is_admin else views.Audience.OPD
    return {
        "opd": owner,
        "items": [views.complaint_view(c, who) for c in rows],
        "next_cursor": next_cursor,
    }


@router.post(STATUS, summary="Set a report's status (the OPD's own staff, in the hub)")
def set_status(
    complaint_id: uuid.UUID,
    body: StatusIn,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1" + STATUS)),
) -> dict[str, Any]:
    try:
        with transaction(request.app.state.sessionmaker) as session:
            complaint = _assigned(session, complaint_id, principal)
            change = actions.set_status_by_staff(
                session,
                complaint,
                body.status,
                actor=_actor(principal),
                note=body.note,
                internal_note=body.internal_note,
                redirect_to=body.redirect_to,
                duplicate_of=body.duplicate_of,
            )
            data = _answer(complaint, principal)
    except IllegalTransition as exc:
        raise Conflict(str(exc), **actions.illegal_detail(exc)) from None
    data["outcome"] = change.outcome
    data["steps"] = change.steps
    return data


@router.post(RETURN, summary="Send a report back as not this OPD's; the hub re-routes it")
def return_complaint(
    complaint_id: uuid.UUID,
    body: ReturnIn,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1" + RETURN)),
) -> dict[str, Any]:
    state = request.app.state
    with transaction(state.sessionmaker) as session:
        complaint = _assigned(session, complaint_id, principal)
        handled = actions.return_to_triage(
            session, complaint, reason=body.reason, actor=_actor(principal), triage=state.triage
        )
        session.flush()
        session.expire(complaint, ["events"])
        data = _answer(complaint, principal)
    data["rerouted"] = handled.as_dict()
    return data
