"""Public oversight in the unified API: the report feed, per-OPD stats and an Atom feed.

Everything here is public and anonymous: no reporter names, phones, e-mails, NIK or street
addresses; confidential (rahasia) reports are never listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from hub.access import Principal, require
from hub.db import utcnow
from hub.deps import SessionDep, SettingsDep
from hub.oversight import feed as atom_feed
from hub.oversight import service
from hub.problems import NotFound, Unprocessable
from schemas.models import Status

router = APIRouter(prefix="/v1/public", tags=["public oversight"])

FEED_ID = "tag:lampungprov.go.id,2026:publik"


class PublicPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class OpdPerformance(BaseModel):
    institution: str | None
    institution_name: str | None
    received: int
    in_progress: int
    resolved: int
    other_closed: int
    overdue: int
    median_first_response_hours: float | None
    median_resolution_hours: float | None


class Stats(BaseModel):
    generated_at: datetime
    overdue_tracked: bool  # False until service-level deadlines exist: overdue is then 0
    institutions: list[OpdPerformance]


Category = Annotated[str | None, Query(description="Category code, e.g. sampah_lingkungan")]
Institution = Annotated[str | None, Query(description="OPD (institution) code, e.g. dlh-prov")]
Region = Annotated[str | None, Query(description="Kab/kota code, e.g. kota-bandar-lampung")]


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Unprocessable(
            "Datetimes must carry a timezone.",
            errors=[{"pointer": f"query:{name}", "detail": "add Z or an offset like +07:00"}],
        )
    return value


@router.get("/complaints", summary="Public reports, newest first", response_model=PublicPage)
def public_complaints(
    session: SessionDep,
    settings: SettingsDep,
    category: Category = None,
    institution: Institution = None,
    region: Region = None,
    status: Annotated[list[Status] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    _: Principal = Depends(require("GET", "/v1/public/complaints")),
) -> PublicPage:
    filters = service.FeedFilters(
        category, institution, region, [s.value for s in status] if status else None
    )
    rows, next_cursor = service.feed(
        session, filters, limit=min(limit, settings.page_size_max), cursor=cursor
    )
    known = service.names(session)
    return PublicPage(items=[service.item(c, known) for c in rows], next_cursor=next_cursor)


@router.get("/complaints/{tracking_code}", summary="One public report with its public timeline")
def public_complaint(
    tracking_code: str,
    session: SessionDep,
    _: Principal = Depends(require("GET", "/v1/public/complaints/{tracking_code}")),
) -> dict[str, Any]:
    complaint = service.public_report(session, tracking_code)
    if complaint is None:
        raise NotFound(f"No public report {tracking_code}.")
    data = service.item(complaint, service.names(session))
    data["timeline"] = service.timeline(complaint)
    return data


@router.get("/stats", summary="Per-OPD performance", response_model=Stats)
def public_stats(
    request: Request,
    session: SessionDep,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    _: Principal = Depends(require("GET", "/v1/public/stats")),
) -> Stats:
    counter = getattr(request.app.state, "overdue_counter", None)
    rows = service.stats(
        session,
        created_from=_aware(created_from, "created_from"),
        created_to=_aware(created_to, "created_to"),
        overdue_counter=counter,
    )
    return Stats(
        generated_at=utcnow(),
        overdue_tracked=counter is not None,
        institutions=[OpdPerformance(**row) for row in rows],
    )


@router.get(
    "/complaints.atom",
    summary="Atom feed of new public reports",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def public_atom(
    session: SessionDep,
    settings: SettingsDep,
    category: Category = None,
    institution: Institution = None,
    region: Region = None,
    _: Principal = Depends(require("GET", "/v1/public/complaints.atom")),
) -> Response:
    filters = service.FeedFilters(category, institution, region)
    rows, _next = service.feed(session, filters, limit=50)
    known = service.names(session)
    base = settings.public_url.rstrip("/")
    entries = []
    for complaint in rows:
        entry = service.item(complaint, known)
        entry["url"] = f"{base}/publik/laporan/{complaint.tracking_code}"
        entries.append(entry)
    query = urlencode(
        [
            (k, v)
            for k, v in (("category", category), ("institution", institution), ("region", region))
            if v
        ]
    )
    suffix = f"?{query}" if query else ""
    body = atom_feed.atom(
        feed_id=FEED_ID + (f":{query}" if query else ""),
        title="Laporan warga terbaru - Lampung-In",
        self_url=f"{base}/v1/public/complaints.atom{suffix}",
        page_url=f"{base}/publik{suffix}",
        entries=entries,
        updated=max((c.updated_at for c in rows), default=utcnow()),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
