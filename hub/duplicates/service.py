"""Possible duplicates at intake, staff decisions, and who follows an original report.

At intake a report with a category and coordinates is compared with the open reports of the
same category filed within the time window: a bounding box narrows them in SQL, the exact
great-circle distance (hub.dedup.geometry) decides. Each hit is stored as a *suggested* link
and noted on the timeline (internal). Staff confirm (the report becomes `duplicate` and its
reporter is told which report to follow) or dismiss.

Following: when an original's status changes, `followers` lists its confirmed duplicates and
hub.complaints.updates notifies them too (a `complaint.status_changed` about the duplicate,
whose `original` field carries the change), as FixMyStreet subscribes a duplicate's reporter
to the original's updates.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.complaints import updates
from hub.complaints.lifecycle import IllegalTransition
from hub.complaints.models import Complaint
from hub.db import utcnow
from hub.dedup.geometry import ReportPoint, bounding_box, candidates, haversine_m
from hub.duplicates.models import DuplicateLink, LinkState
from hub.settings import Settings
from schemas.models import Status

__all__ = [
    "ACTOR",
    "OPEN_STATUSES",
    "POSSIBLE_DUPLICATE",
    "DuplicateConflict",
    "DuplicateRules",
    "InvalidDuplicate",
    "confirm",
    "dismiss",
    "duplicate_of",
    "followers",
    "links_of",
    "suggest",
]

log = logging.getLogger(__name__)

ACTOR = "hub:duplicates"
POSSIBLE_DUPLICATE = "complaint.possible_duplicate"
DUPLICATE_DISMISSED = "complaint.duplicate_dismissed"

# Reports a citizen could still be waiting on; a resolved one is fixed, a new report there is
# a new problem (it may be reopened, but then it is compared again from the new report's side).
OPEN_STATUSES = (
    Status.RECEIVED.value,
    Status.TRIAGED.value,
    Status.DISPATCHED.value,
    Status.ACKNOWLEDGED.value,
    Status.IN_PROGRESS.value,
)


class InvalidDuplicate(ValueError):
    """The requested link cannot exist (self, a confidential original, a chain)."""


class DuplicateConflict(ValueError):
    """The report's state does not allow it (already a duplicate of another, or closed)."""


@dataclass(frozen=True)
class DuplicateRules:
    radius_m: float = 250.0
    window: timedelta = timedelta(days=30)
    limit: int = 5
    # At a hot spot (a flood, a landslide) hundreds of reports share one place: compare a new
    # one with the most recent of them only, so intake stays constant-time.
    scan_limit: int = 200

    @classmethod
    def from_settings(cls, settings: Settings) -> DuplicateRules:
        return cls(
            radius_m=settings.duplicate_radius_m,
            window=timedelta(days=settings.duplicate_window_days),
            limit=settings.duplicate_limit,
        )


def _point(complaint: Complaint) -> ReportPoint | None:
    if complaint.lat is None or complaint.lon is None or not complaint.category:
        return None
    return ReportPoint(
        str(complaint.id), complaint.category, complaint.lat, complaint.lon, complaint.created_at
    )


def suggest(session: Session, complaint: Complaint, rules: DuplicateRules) -> list[DuplicateLink]:
    """Link `complaint` to the nearby open reports it may repeat (caller owns the transaction
    and has flushed the complaint)."""
    new = _point(complaint)
    if new is None or complaint.status not in OPEN_STATUSES or rules.limit == 0:
        return []
    min_lat, min_lon, max_lat, max_lon = bounding_box(new.lat, new.lon, rules.radius_m)
    rows = session.execute(
        select(
            Complaint.id,
            Complaint.tracking_code,
            Complaint.category,
            Complaint.lat,
            Complaint.lon,
            Complaint.created_at,
        )
        .where(
            Complaint.category == complaint.category,
            Complaint.status.in_(OPEN_STATUSES),
            Complaint.privacy != "confidential",  # a citizen could not follow it
            Complaint.id != complaint.id,
            Complaint.lat.between(min_lat, max_lat),
            Complaint.lon.between(min_lon, max_lon),
            Complaint.created_at >= complaint.created_at - rules.window,
            Complaint.created_at <= complaint.created_at,
        )
        .order_by(Complaint.created_at.desc())
        .limit(rules.scan_limit)
    ).all()
    codes = {str(row.id): row.tracking_code for row in rows}
    points = [
        ReportPoint(str(row.id), row.category, row.lat, row.lon, row.created_at) for row in rows
    ]
    found = candidates(new, points, radius_m=rules.radius_m, window=rules.window, limit=rules.limit)
    links = [
        DuplicateLink(
            complaint_id=complaint.id,
            original_id=uuid.UUID(c.report.id),
            distance_m=round(c.distance_m, 1),
            state=LinkState.SUGGESTED.value,
            created_at=complaint.created_at,
        )
        for c in found
    ]
    if not links:
        return []
    session.add_all(links)
    listed = [
        {"complaint_id": c.report.id, "tracking_code": codes[c.report.id],
         "distance_m": round(c.distance_m, 1)}
        for c in found
    ]  # fmt: skip
    updates.append_event(
        session,
        complaint,
        type=POSSIBLE_DUPLICATE,
        actor=ACTOR,
        internal_note="Kemungkinan duplikat / possible duplicate of "
        + ", ".join(f"{c['tracking_code']} ({c['distance_m']:.0f} m)" for c in listed),
        data={"candidates": listed},
    )
    return links


def links_of(session: Session, complaint_id: uuid.UUID) -> list[tuple[DuplicateLink, str]]:
    """The complaint's links (any state) with each original's tracking code, nearest first."""
    rows = session.execute(
        select(DuplicateLink, Complaint.tracking_code)
        .join(Complaint, Complaint.id == DuplicateLink.original_id)
        .where(DuplicateLink.complaint_id == complaint_id)
        .order_by(DuplicateLink.distance_m.is_(None), DuplicateLink.distance_m, DuplicateLink.id)
    ).all()
    return [(link, code) for link, code in rows]


def duplicate_of(session: Session, complaint_id: uuid.UUID) -> Complaint | None:
    """The original a confirmed duplicate follows."""
    return session.scalars(
        select(Complaint)
        .join(DuplicateLink, DuplicateLink.original_id == Complaint.id)
        .where(
            DuplicateLink.complaint_id == complaint_id,
            DuplicateLink.state == LinkState.CONFIRMED.value,
        )
        .limit(1)
    ).first()


def followers(session: Session, original_id: uuid.UUID) -> list[Complaint]:
    """Confirmed duplicates of `original_id`: their reporters follow it."""
    return list(
        session.scalars(
            select(Complaint)
            .join(DuplicateLink, DuplicateLink.complaint_id == Complaint.id)
            .where(
                DuplicateLink.original_id == original_id,
                DuplicateLink.state == LinkState.CONFIRMED.value,
            )
            .order_by(Complaint.created_at, Complaint.id)
        )
    )


def _link(session: Session, complaint: Complaint, original: Complaint) -> DuplicateLink:
    link = session.scalars(
        select(DuplicateLink).where(
            DuplicateLink.complaint_id == complaint.id,
            DuplicateLink.original_id == original.id,
        )
    ).first()
    if link is not None:
        return link
    distance = None
    if None not in (complaint.lat, complaint.lon, original.lat, original.lon):
        assert complaint.lat is not None and complaint.lon is not None
        assert original.lat is not None and original.lon is not None
        distance = round(haversine_m(complaint.lat, complaint.lon, original.lat, original.lon), 1)
    link = DuplicateLink(
        complaint_id=complaint.id,
        original_id=original.id,
        distance_m=distance,
        state=LinkState.SUGGESTED.value,
        created_at=utcnow(),
    )
    session.add(link)
    return link


def follow_note(original: Complaint) -> tuple[str, str]:
    """What the duplicate's reporter reads (public) and what staff read (internal)."""
    return (
        f"Laporan ini sama dengan laporan {original.tracking_code} yang sedang ditangani. "
        f"Ikuti perkembangannya melalui kode {original.tracking_code}; pemberitahuan status "
        "laporan tersebut juga dikirim kepada Anda. / This report duplicates "
        f"{original.tracking_code}, which is being handled; follow it with that tracking code "
        "(you will be notified of its status changes).",
        f"Confirmed as a duplicate of {original.tracking_code} ({original.id}).",
    )


def confirm(
    session: Session,
    complaint: Complaint,
    original: Complaint,
    *,
    actor: str,
    now: datetime | None = None,
) -> DuplicateLink:
    """Mark `complaint` a duplicate of `original` (caller holds the complaint's row lock)."""
    if original.id == complaint.id:
        raise InvalidDuplicate("a report cannot be a duplicate of itself")
    if original.privacy == "confidential":
        raise InvalidDuplicate(
            f"{original.tracking_code} is confidential: its reporter's fellow citizens cannot "
            "follow it"
        )
    if original.status == Status.DUPLICATE.value:
        root = duplicate_of(session, original.id)
        hint = f"; confirm it as a duplicate of {root.tracking_code} instead" if root else ""
        raise InvalidDuplicate(f"{original.tracking_code} is itself a duplicate{hint}")
    at = now or utcnow()
    if complaint.status == Status.DUPLICATE.value:
        current = duplicate_of(session, complaint.id)
        if current is not None and current.id == original.id:
            link = _link(session, complaint, original)
            return link  # confirmed before: nothing changes
        named = current.tracking_code if current else "another report"
        raise DuplicateConflict(f"{complaint.tracking_code} is already a duplicate of {named}")
    link = _link(session, complaint, original)
    note, internal = follow_note(original)
    try:
        updates.change_status(
            session,
            complaint,
            Status.DUPLICATE,
            occurred_at=at,
            actor=actor,
            note=note,
            internal_note=internal,
            data={
                "duplicate_of": str(original.id),
                "duplicate_of_tracking_code": original.tracking_code,
            },
        )
    except IllegalTransition as exc:
        raise DuplicateConflict(str(exc)) from None
    link.state, link.decided_by, link.decided_at = LinkState.CONFIRMED.value, actor, at
    session.flush()
    session.expire(complaint, ["events"])
    return link


def dismiss(
    session: Session,
    complaint: Complaint,
    *,
    actor: str,
    original_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[DuplicateLink]:
    """Dismiss one suggestion (or all of them): staff judged it a different problem."""
    stmt = select(DuplicateLink).where(
        DuplicateLink.complaint_id == complaint.id,
        DuplicateLink.state == LinkState.SUGGESTED.value,
    )
    if original_id is not None:
        stmt = stmt.where(DuplicateLink.original_id == original_id)
    links = list(session.scalars(stmt.order_by(DuplicateLink.id)))
    if original_id is not None and not links:
        known = session.scalars(
            select(DuplicateLink.state).where(
                DuplicateLink.complaint_id == complaint.id,
                DuplicateLink.original_id == original_id,
            )
        ).first()
        if known is None:
            raise InvalidDuplicate(f"{original_id} was never suggested for this report")
        if known == LinkState.CONFIRMED.value:
            raise DuplicateConflict("that link was confirmed; it cannot be dismissed")
        return []  # dismissed before
    if not links:
        return []
    at = now or utcnow()
    for link in links:
        link.state, link.decided_by, link.decided_at = LinkState.DISMISSED.value, actor, at
    updates.append_event(
        session,
        complaint,
        type=DUPLICATE_DISMISSED,
        actor=actor,
        internal_note="Bukan duplikat / not a duplicate of "
        + ", ".join(str(link.original_id) for link in links),
        data={"dismissed": [str(link.original_id) for link in links]},
        occurred_at=at,
    )
    session.flush()
    session.expire(complaint, ["events"])
    return links


def follower_notice(
    original: Complaint, previous: str, note: str | None, at: datetime
) -> dict[str, Any]:
    return {
        "complaint_id": str(original.id),
        "tracking_code": original.tracking_code,
        "status": original.status,
        "previous_status": previous,
        "note": note,
        "occurred_at": at.isoformat(),
    }


def views_of_links(rows: Sequence[tuple[DuplicateLink, str]]) -> list[dict[str, Any]]:
    return [
        {
            "original_id": str(link.original_id),
            "tracking_code": code,
            "distance_m": link.distance_m,
            "state": link.state,
            "decided_by": link.decided_by,
            "decided_at": link.decided_at.isoformat() if link.decided_at else None,
        }
        for link, code in rows
    ]


def complaint_fields(session: Session, complaint: Complaint, *, staff: bool) -> dict[str, Any]:
    """What `GET /v1/complaints/{id}` adds: the original a duplicate follows (everyone who
    sees the report) and the suggestions with their states (staff only)."""
    data: dict[str, Any] = {}
    original = (
        duplicate_of(session, complaint.id) if complaint.status == Status.DUPLICATE.value else None
    )
    data["duplicate_of"] = (
        {"id": str(original.id), "tracking_code": original.tracking_code} if original else None
    )
    if staff:
        data["duplicate_suggestions"] = views_of_links(links_of(session, complaint.id))
    return data


def resolve(session: Session, reference: str, *, source: str | None = None) -> Complaint | None:
    """A complaint named by its tracking code, its id, or the ref connector `source` gave it."""
    found = session.scalars(
        select(Complaint).where(Complaint.tracking_code == reference.strip()).limit(1)
    ).first()
    if found is not None:
        return found
    try:
        found = session.get(Complaint, uuid.UUID(reference.strip()))
    except ValueError:
        found = None
    if found is None and source is not None:
        found = updates.find_complaint(
            session, external_ref=reference.strip(), source=source, lock=False
        )
    return found


def link_reported(
    session: Session,
    complaint: Complaint,
    reference: str,
    *,
    source: str,
    at: datetime | None = None,
) -> DuplicateLink | None:
    """An OPD app marked `complaint` a duplicate of `reference`: record the confirmed link, so
    the citizen follows the original as after a decision in the hub. An unknown or unusable
    reference leaves only the status (and the reference in the event's data)."""
    original = resolve(session, reference, source=source)
    if original is None or original.id == complaint.id or original.privacy == "confidential":
        log.info("duplicate_of %r from %s names no other public complaint", reference, source)
        return None
    if original.status == Status.DUPLICATE.value:
        original = duplicate_of(session, original.id) or original
    link = _link(session, complaint, original)
    link.state, link.decided_by, link.decided_at = (
        LinkState.CONFIRMED.value,
        source,
        at or utcnow(),
    )
    session.flush()
    return link
