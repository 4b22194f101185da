"""Status updates applied to complaints: through the state machine, once, on the timeline.

An update is de-duplicated by `(source, source_event_id)` (a unique constraint backs the check,
so two workers racing on the same update cannot both apply it); a repeated or out-of-order
update changes nothing; an accepted one appends a timeline event and stages a
`complaint.status_changed` notification in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.complaints.lifecycle import IllegalTransition, Outcome, decide
from hub.complaints.models import Complaint, ComplaintEvent
from hub.db import utcnow
from schemas.models import Status, StatusUpdate

__all__ = [
    "ApplyOutcome",
    "ApplyResult",
    "append_event",
    "apply_status_update",
    "change_status",
    "find_complaint",
    "source_key",
]

log = logging.getLogger(__name__)

STATUS_CHANGED = "complaint.status_changed"
NOTE_ADDED = "complaint.note_added"


class ApplyOutcome(StrEnum):
    APPLIED = "applied"  # status changed, on the timeline, subscribers notified
    NOTED = "noted"  # status unchanged (same or stale) but its note was added to the timeline
    NOOP = "noop"  # already in that state, nothing to add
    STALE = "stale"  # older than what we know: ignored
    DUPLICATE = "duplicate"  # this source event was applied before
    ILLEGAL = "illegal"  # the state machine refuses it
    NOT_FOUND = "not_found"  # no complaint with that id or external ref


@dataclass(frozen=True)
class ApplyResult:
    outcome: ApplyOutcome
    complaint_id: uuid.UUID | None = None
    status: Status | None = None  # the complaint's status afterwards
    event_id: int | None = None
    detail: str = ""
    notifications: list[uuid.UUID] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome),
            "complaint_id": str(self.complaint_id) if self.complaint_id else None,
            "status": str(self.status) if self.status else None,
            "detail": self.detail,
        }


def source_key(source: str, source_event_id: str) -> str:
    """The stored de-duplication key: namespaced by source, at most 200 characters."""
    key = f"{source}:{source_event_id}"
    if len(key) <= 200:
        return key
    return f"{source[:100]}:sha256:{hashlib.sha256(source_event_id.encode()).hexdigest()}"


def find_complaint(
    session: Session,
    *,
    complaint_id: uuid.UUID | None = None,
    external_ref: str | None = None,
    source: str | None = None,
    lock: bool = True,
) -> Complaint | None:
    """By id, or by the external ref that connector instance `source` gave it; row-locked."""
    stmt = select(Complaint)
    if complaint_id is not None:
        stmt = stmt.where(Complaint.id == complaint_id)
    elif external_ref is not None and source is not None:
        stmt = stmt.where(Complaint.external_refs[source].as_string() == external_ref)
    else:
        raise ValueError("find a complaint by complaint_id, or by external_ref with its source")
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt.limit(1)).first()


def append_event(
    session: Session,
    complaint: Complaint,
    *,
    type: str,
    status: str | None = None,
    note: str | None = None,
    internal_note: str | None = None,
    actor: str | None = None,
    source_event_id: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> ComplaintEvent:
    """Append to the timeline (caller holds the complaint's row lock, so `seq` is safe)."""
    last = session.scalar(
        select(func.max(ComplaintEvent.seq)).where(ComplaintEvent.complaint_id == complaint.id)
    )
    now = utcnow()
    event = ComplaintEvent(
        complaint_id=complaint.id,
        seq=(last or 0) + 1,
        type=type,
        status=status,
        note=note,
        internal_note=internal_note,
        actor=actor,
        source_event_id=source_event_id,
        data=data or {},
        occurred_at=occurred_at or now,
        recorded_at=now,
    )
    session.add(event)
    return event


def _notify(
    session: Session, complaint: Complaint, previous: str, note: str | None, at: datetime
) -> list[uuid.UUID]:
    from hub.notifications.service import emit  # late: notifications imports delivery

    data = {
        "complaint_id": str(complaint.id),
        "tracking_code": complaint.tracking_code,
        "status": complaint.status,
        "previous_status": previous,
        "category": complaint.category,
        "institution": complaint.institution,
        "note": note,
        "occurred_at": at.isoformat(),
    }
    staged = emit(session, STATUS_CHANGED, data, subject=complaint.tracking_code)
    return staged + _notify_followers(session, complaint, data)


def _notify_followers(
    session: Session, original: Complaint, change: dict[str, Any]
) -> list[uuid.UUID]:
    """Reporters of confirmed duplicates follow the original: each duplicate gets its own
    `complaint.status_changed` (its own id and status) whose `original` carries the change."""
    from hub.duplicates.service import followers  # late: duplicates imports this module
    from hub.notifications.service import emit

    staged: list[uuid.UUID] = []
    for follower in followers(session, original.id):
        data = {
            "complaint_id": str(follower.id),
            "tracking_code": follower.tracking_code,
            "status": follower.status,
            "previous_status": follower.status,
            "institution": follower.institution,
            "note": change["note"],
            "occurred_at": change["occurred_at"],
            "original": {k: change[k] for k in ("complaint_id", "tracking_code", "status",
                                                "previous_status", "institution")},
        }  # fmt: skip
        staged += emit(session, STATUS_CHANGED, data, subject=follower.tracking_code)
    return staged


def change_status(
    session: Session,
    complaint: Complaint,
    target: Status,
    *,
    occurred_at: datetime | None = None,
    actor: str | None = None,
    note: str | None = None,
    internal_note: str | None = None,
    source_event_id: str | None = None,
    data: dict[str, Any] | None = None,
    reopen_allowed: bool = True,
) -> tuple[Outcome, ComplaintEvent | None, list[uuid.UUID]]:
    """Move `complaint` to `target` if the state machine agrees; raises IllegalTransition."""
    current = Status(complaint.status)
    decision = decide(
        current,
        target,
        occurred_at=occurred_at,
        last_update_at=complaint.last_update_at,
        reopen_allowed=reopen_allowed,
    )
    if decision.outcome != Outcome.APPLY:
        return decision.outcome, None, []
    now = utcnow()
    at = occurred_at or now
    complaint.status = target
    complaint.updated_at = now
    # Only dated updates from outside (an OPD app, its staff) set the bar for later ones: the
    # hub's own steps (triage, dispatch) must not make an OPD's update, stamped by its own
    # clock to the second, look older than a dispatch a few milliseconds before it.
    if occurred_at is not None and (
        complaint.last_update_at is None or occurred_at > complaint.last_update_at
    ):
        complaint.last_update_at = occurred_at
    if decision.reopen:
        complaint.reopen_count += 1
    extra = dict(data or {})
    extra.update(previous_status=current, reopen=decision.reopen, returned=decision.returned)
    event = append_event(
        session,
        complaint,
        type=STATUS_CHANGED,
        status=target,
        note=note,
        internal_note=internal_note,
        actor=actor,
        source_event_id=source_event_id,
        data=extra,
        occurred_at=at,
    )
    return Outcome.APPLY, event, _notify(session, complaint, current, note, at)


def apply_status_update(
    session: Session, update: StatusUpdate, *, source: str, reopen_allowed: bool = True
) -> ApplyResult:
    """Apply one status update reported by connector instance (or channel) `source`."""
    complaint = find_complaint(
        session,
        complaint_id=update.complaint_id,
        external_ref=update.external_ref,
        source=source,
    )
    if complaint is None:
        ref = update.complaint_id or update.external_ref
        return ApplyResult(ApplyOutcome.NOT_FOUND, detail=f"no complaint {ref} known to {source}")
    key = source_key(source, update.source_event_id)
    seen = session.scalar(
        select(ComplaintEvent.id).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.source_event_id == key
        )
    )
    status = Status(complaint.status)
    if seen is not None:
        return ApplyResult(ApplyOutcome.DUPLICATE, complaint.id, status, seen, "already applied")
    data: dict[str, Any] = {"source": source}
    if update.redirect_to:
        data["redirect_to"] = update.redirect_to
    if update.duplicate_of:
        data["duplicate_of"] = update.duplicate_of
    if update.attachments:
        data["attachments"] = [a.model_dump(mode="json") for a in update.attachments]
    assigned_to = complaint.institution
    try:
        with session.begin_nested():
            outcome, event, staged = change_status(
                session,
                complaint,
                update.status,
                occurred_at=update.occurred_at,
                actor=update.actor,
                note=update.note,
                internal_note=update.internal_note,
                source_event_id=key,
                data=data,
                reopen_allowed=reopen_allowed,
            )
            if event is None and (update.note or update.internal_note):
                data["reported_status"] = update.status
                data["outcome"] = outcome
                event = append_event(
                    session,
                    complaint,
                    type=NOTE_ADDED,
                    note=update.note,
                    internal_note=update.internal_note,
                    actor=update.actor,
                    source_event_id=key,
                    data=data,
                    occurred_at=update.occurred_at,
                )
            session.flush()
    except IllegalTransition as exc:
        return ApplyResult(ApplyOutcome.ILLEGAL, complaint.id, status, detail=str(exc))
    except IntegrityError:  # a concurrent apply of the same source event won the race
        return ApplyResult(ApplyOutcome.DUPLICATE, complaint.id, status, detail="already applied")
    after = Status(complaint.status)
    event_at = event.occurred_at if event is not None else None
    if outcome == Outcome.APPLY:
        result = ApplyOutcome.APPLIED
        if after == Status.RECEIVED:  # the OPD's app says "not ours": no wrong door
            from hub.complaints.actions import reroute_returned  # late: it imports this module
            from hub.routing.service import process_triage

            reroute_returned(
                session,
                complaint,
                refused_by=assigned_to or source,
                reason=update.note or update.internal_note or "returned by the agency's app",
                actor=update.actor or source,
                triage=process_triage(),
            )
            after = Status(complaint.status)
        if after == Status.DUPLICATE and update.duplicate_of:
            from hub.duplicates.service import link_reported  # late: it imports this module

            link_reported(session, complaint, update.duplicate_of, source=source, at=event_at)
    elif event is not None:
        result = ApplyOutcome.NOTED
    else:
        result = ApplyOutcome.STALE if outcome == Outcome.STALE else ApplyOutcome.NOOP
    log.info("status update %s from %s: %s (%s)", key, source, result, after)
    return ApplyResult(
        result, complaint.id, after, event.id if event else None, notifications=staged
    )
