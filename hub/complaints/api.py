"""Unified API v1: complaints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from hub.access import Principal, require
from hub.complaints import privacy, service, views
from hub.complaints.intake import file_complaint
from hub.deps import SessionDep, SettingsDep
from hub.duplicates import service as duplicates
from hub.problems import NotFound, Unprocessable
from hub.sla import service as sla
from schemas.models import ComplaintSubmission, Status

router = APIRouter(prefix="/v1", tags=["complaints"])
READ = "GET /v1/complaints/{complaint_id}"
SEARCH = "GET /v1/complaints"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retry-safe intake: the same key and body return the original answer.",
    ),
]


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


@router.post(
    "/complaints",
    status_code=201,
    summary="File a complaint (pengaduan)",
    responses={200: {"description": "Replay of an earlier request with the same Idempotency-Key"}},
)
def create_complaint(
    submission: ComplaintSubmission,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(require("POST", "/v1/complaints")),
) -> dict[str, Any]:
    intake = file_complaint(
        request,
        submission,
        reporter=None
        if principal.is_anonymous or principal.kind == "client"
        else principal.subject,
        idempotency_key=idempotency_key,
        idempotency_scope=principal.idempotency_scope,
    )
    if not intake.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/complaints/{intake.complaint.id}"
    who = views.Audience.OWNER  # the caller just sent these details
    return views.complaint_view(intake.complaint, who)


@router.get("/complaints/{complaint_id}", summary="A complaint with its timeline")
def read_complaint(
    complaint_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Principal = Depends(require("GET", "/v1/complaints/{complaint_id}")),
) -> dict[str, Any]:
    complaint = service.get(session, complaint_id)
    if complaint is None or not views.visible(principal, complaint):
        raise NotFound(f"No complaint {complaint_id}.")
    who = views.audience(principal, complaint)
    data = views.complaint_view(complaint, who)
    data.update(duplicates.complaint_fields(session, complaint, staff=views.staff(who)))
    if who != views.Audience.PUBLIC:
        data.update(sla.complaint_fields(session, complaint, request.app.state.clock()))
    data["timeline"] = [views.event_view(e, who) for e in complaint.events if views.shown(e, who)]
    if privacy.record_views(session, principal, [(complaint, data)], via=READ):
        session.commit()
    return data


@router.get("/complaints", summary="Search complaints, newest first", response_model=Page)
def list_complaints(
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[list[Status] | None, Query()] = None,
    category: str | None = None,
    institution: str | None = None,
    region: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: str | None = None,
    principal: Principal = Depends(require("GET", "/v1/complaints")),
) -> Page:
    for name, value in (("created_from", created_from), ("created_to", created_to)):
        if value is not None and value.tzinfo is None:
            raise Unprocessable(
                "Datetimes must carry a timezone.",
                errors=[{"pointer": f"query:{name}", "detail": "add Z or an offset like +07:00"}],
            )
    if mine and principal.subject is None:
        raise Unprocessable("'mine' needs a signed-in caller.")
    filters = service.Filters(
        status=[s.value for s in status] if status else None,
        category=category,
        institution=institution,
        region=region,
        created_from=created_from,
        created_to=created_to,
        reporter=principal.subject if mine else None,
        viewer_admin=principal.is_admin,
        viewer_opd=principal.opd,
        viewer_subject=principal.subject if principal.kind != "client" else None,
    )
    rows, next_cursor = service.search(
        session, filters, limit=min(limit, settings.page_size_max), cursor=cursor
    )
    items = [views.complaint_view(c, views.audience(principal, c)) for c in rows]
    if privacy.record_views(session, principal, zip(rows, items, strict=True), via=SEARCH):
        session.commit()
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/complaints/{complaint_id}/personal-data-access",
    summary="Who was shown the reporter's personal data (for the reporter and admins)",
)
def personal_data_access(
    complaint_id: uuid.UUID,
    session: SessionDep,
    principal: Principal = Depends(
        require("GET", "/v1/complaints/{complaint_id}/personal-data-access")
    ),
) -> list[dict[str, Any]]:
    complaint = service.get(session, complaint_id)
    if complaint is None or not (
        principal.is_admin or (principal.subject and principal.subject == complaint.reporter)
    ):
        raise NotFound(f"No complaint {complaint_id}.")
    return privacy.access_log(session, complaint)
