"""Queries behind the public feed, stats and page: public data only, confidential excluded."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.catalog.models import Category, Institution
from hub.complaints import service as complaints
from hub.complaints.models import Complaint, ComplaintEvent
from hub.complaints.views import Audience, event_view, shown
from hub.oversight import metrics
from hub.oversight.privacy import public_complaint, public_note
from schemas.models import Status

# Counts overdue reports per institution. The service-level module plugs its own in through
# `app.state.overdue_counter`; until then no deadlines exist and every count is 0.
OverdueCounter = Callable[[Session, Sequence[str | None]], Mapping[str | None, int]]


def no_deadlines_yet(session: Session, institutions: Sequence[str | None]) -> dict[str | None, int]:
    return {}


@dataclass(frozen=True)
class Names:
    categories: Mapping[str, tuple[str, str]]  # code -> (Indonesian, English)
    institutions: Mapping[str, str]
    regions: Mapping[str, str]  # kab/kota code -> "Kota Bandar Lampung"


def names(session: Session) -> Names:
    categories = {
        c.code: (c.name_id, c.name_en)
        for c in session.scalars(select(Category).where(Category.active).order_by(Category.code))
    }
    institutions = {i.code: i.name for i in session.scalars(select(Institution))}
    regions = {
        i.code: i.name.removeprefix("Pemerintah ")
        for i in session.scalars(select(Institution).order_by(Institution.code))
        if i.level == "kabupaten_kota" and i.code.startswith(("kota-", "kab-"))
    }
    return Names(categories, institutions, regions)


def item(complaint: Complaint, known: Names) -> dict[str, Any]:
    """A report as the public sees it, with readable names for its codes."""
    view = public_complaint(complaint)
    category = known.categories.get(complaint.category or "")
    view["category_name"] = {"id": category[0], "en": category[1]} if category else None
    view["institution_name"] = known.institutions.get(complaint.institution or "")
    view["region_name"] = known.regions.get(complaint.region or "")
    return view


@dataclass(frozen=True)
class FeedFilters:
    category: str | None = None
    institution: str | None = None
    region: str | None = None
    status: Sequence[str] | None = None


def feed(
    session: Session, filters: FeedFilters, *, limit: int, cursor: str | None = None
) -> tuple[list[Complaint], str | None]:
    """Newest public reports first (confidential ones never), keyset-paginated."""
    return complaints.search(
        session,
        complaints.Filters(
            status=list(filters.status) if filters.status else None,
            category=filters.category,
            institution=filters.institution,
            region=filters.region,
        ),
        limit=limit,
        cursor=cursor,
    )


def public_report(session: Session, tracking_code: str) -> Complaint | None:
    complaint = complaints.by_tracking_code(session, tracking_code)
    if complaint is None or complaint.privacy == "confidential":
        return None
    return complaint


def timeline(complaint: Complaint) -> list[dict[str, Any]]:
    events = []
    for event in complaint.events:
        if not shown(event, Audience.PUBLIC):
            continue
        view = event_view(event, Audience.PUBLIC)
        view["note"] = public_note(event.note, complaint)
        events.append(view)
    return events


_STATUS_EVENTS = [s.value for s in Status]


def stats(
    session: Session,
    *,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    overdue_counter: OverdueCounter | None = None,
) -> list[dict[str, Any]]:
    """Per-OPD performance. Counts include confidential reports: a number names no one."""
    query = select(Complaint.id, Complaint.institution, Complaint.status, Complaint.created_at)
    if created_from is not None:
        query = query.where(Complaint.created_at >= created_from)
    if created_to is not None:
        query = query.where(Complaint.created_at < created_to)
    heads = {row.id: row for row in session.execute(query)}
    steps: dict[uuid.UUID, list[metrics.Step]] = {key: [] for key in heads}
    events = (
        select(ComplaintEvent.complaint_id, ComplaintEvent.status, ComplaintEvent.occurred_at)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.status.in_(_STATUS_EVENTS))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
    )
    if created_from is not None:
        events = events.where(Complaint.created_at >= created_from)
    if created_to is not None:
        events = events.where(Complaint.created_at < created_to)
    for complaint_id, status, occurred_at in session.execute(events):
        if complaint_id in steps and status:
            steps[complaint_id].append(metrics.Step(Status(status), occurred_at))
    timelines = [
        metrics.Timeline(head.institution, Status(head.status), head.created_at, steps[key])
        for key, head in heads.items()
    ]
    institutions = sorted({t.institution for t in timelines}, key=lambda c: c or "~")
    counter = overdue_counter or no_deadlines_yet
    rows = metrics.per_opd(timelines, counter(session, institutions))
    known = names(session)
    result = []
    for row in rows:
        data = {k: v for k, v in asdict(row).items() if not k.startswith("_")}
        data["institution_name"] = known.institutions.get(row.institution or "")
        result.append(data)
    return result
