"""The triage desk: hub admins work the queue of reports intake could not place.

    GET  /v1/triage/queue                       waiting reports, oldest first, with suggestions
    POST /v1/complaints/{complaint_id}/triage   {category, institution?, note?}

A decision's (text, category) pair is kept for retraining under the hub's data dir, where
`hub triage train` reads it (hub.triage.training.record_decision / stored_decisions).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.access import Principal, require
from hub.complaints import actions, views
from hub.db import transaction
from hub.deps import SessionDep, SettingsDep
from hub.triage.training import record_decision

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["triage"])

QUEUE = "/triage/queue"
TRIAGE = "/complaints/{complaint_id}/triage"


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, Field(min_length=1, max_length=64)]
    institution: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="Send it here; omit to let the routing rules place it."
    )
    note: Annotated[str, Field(max_length=5000)] | None = Field(
        None, description="Internal note for the timeline (not shown to the public)."
    )


def _actor(principal: Principal) -> str:
    return principal.subject or principal.client_id or "admin"


@router.get(QUEUE, summary="Reports waiting for manual triage, oldest first")
def triage_queue(
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: str | None = None,
    _: Principal = Depends(require("GET", "/v1" + QUEUE)),
) -> dict[str, Any]:
    entries, next_cursor = actions.triage_queue(
        session, limit=min(limit, settings.page_size_max), cursor=cursor
    )
    items = []
    for entry in entries:
        item = views.complaint_view(entry.complaint, views.Audience.ADMIN)
        item.update(
            waiting_since=entry.waiting_since.isoformat(),
            suggestion=entry.suggestion,
            returned_by=entry.returned_by,
        )
        items.append(item)
    return {"items": items, "next_cursor": next_cursor}


@router.post(TRIAGE, summary="Triage a waiting report by hand (category, maybe institution)")
def triage_complaint(
    complaint_id: uuid.UUID,
    body: TriageIn,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1" + TRIAGE)),
) -> dict[str, Any]:
    state = request.app.state
    with transaction(state.sessionmaker) as session:
        complaint = actions.load(session, complaint_id)
        handled = actions.decide_triage(
            session,
            complaint,
            category=body.category,
            institution=body.institution,
            note=body.note,
            actor=_actor(principal),
            triage=state.triage,
        )
        session.flush()
        session.expire(complaint, ["events"])
        # Training data without the reporter's name, phone, NIK or address.
        text = views.public_text(f"{complaint.title}\n{complaint.description}", complaint)
        data = views.complaint_view(complaint, views.Audience.ADMIN)
        data["timeline"] = [views.event_view(e, views.Audience.ADMIN) for e in complaint.events]
    try:
        record_decision(text, body.category, state.settings.data_dir)
    except (OSError, ValueError) as exc:  # the decision stands; only its training copy is lost
        log.error("triage decision on %s not kept for training: %s", complaint_id, exc)
    data["triage"] = handled.as_dict()
    return data
