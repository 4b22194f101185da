"""Queries behind the GeoReport v2 endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.catalog.models import Category, Institution
from hub.complaints.lifecycle import OPEN311
from hub.complaints.models import Complaint, ComplaintEvent
from hub.open311 import mapping
from hub.sla.service import expected_resolution
from schemas.models import Status

MAX_REQUESTS = 1000


def catalog(session: Session) -> mapping.Catalog:
    categories = {
        c.code: (c.name_id, c.name_en, c.keywords)
        for c in session.scalars(select(Category).where(Category.active).order_by(Category.code))
    }
    institutions = {i.code: i.name for i in session.scalars(select(Institution))}
    regions = {
        i.code: i.name.removeprefix("Pemerintah ")
        for i in session.scalars(
            select(Institution)
            .where(Institution.active, Institution.level == "kabupaten_kota")
            .where(or_(Institution.code.like("kota-%"), Institution.code.like("kab-%")))
            .order_by(Institution.code)
        )
    }
    return mapping.Catalog(categories, institutions, regions)


def statuses_for(open311_statuses: Sequence[str]) -> list[str]:
    """Our lifecycle states that Open311 calls `open` or `closed`."""
    return [s.value for s, (o311, _) in OPEN311.items() if o311 in open311_statuses]


@dataclass(frozen=True)
class Query:
    ids: Sequence[str] | None = None  # tracking codes; overrides everything else
    service_codes: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] | None = None  # open / closed


def find(session: Session, query: Query, *, limit: int | None = None) -> list[Complaint]:
    """Public (non-confidential) reports, newest first, at most `limit`."""
    stmt = select(Complaint).where(Complaint.privacy != "confidential")
    if query.ids is not None:
        stmt = stmt.where(Complaint.tracking_code.in_(list(query.ids)))
    else:
        if query.service_codes:
            stmt = stmt.where(Complaint.category.in_(list(query.service_codes)))
        if query.start is not None:
            stmt = stmt.where(Complaint.created_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(Complaint.created_at <= query.end)
        if query.statuses:
            stmt = stmt.where(Complaint.status.in_(statuses_for(query.statuses)))
    stmt = stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc())
    stmt = stmt.limit(limit or MAX_REQUESTS)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Latest:
    note: str | None = None  # newest public note on the timeline
    redirect_to: str | None = None  # institution a redirected report was referred to


def latest_notes(session: Session, complaint_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Latest]:
    """Newest public note and referral per complaint, in one query per 500 complaints."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    ids = list(complaint_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.note, ComplaintEvent.data)
            .where(ComplaintEvent.complaint_id.in_(ids[start : start + 500]))
            .where(
                or_(
                    ComplaintEvent.note.is_not(None),
                    ComplaintEvent.status == Status.REDIRECTED.value,
                )
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
        )
        for complaint_id, note, data in rows:
            entry = found.setdefault(complaint_id, {})
            if note:
                entry["note"] = note
            if data and data.get("redirect_to"):
                entry["redirect_to"] = data["redirect_to"]
    return {k: Latest(v.get("note"), v.get("redirect_to")) for k, v in found.items()}


def requests_view(session: Session, complaints: Sequence[Complaint]) -> list[dict[str, Any]]:
    names = catalog(session)
    notes = latest_notes(session, [c.id for c in complaints])
    expected = expected_resolution(session, complaints)
    views = []
    for complaint in complaints:
        latest = notes.get(complaint.id, Latest())
        views.append(
            mapping.service_request(
                complaint,
                names,
                note=latest.note,
                redirect_to=latest.redirect_to,
                expected=expected.get(complaint.id),
            )
        )
    return views
