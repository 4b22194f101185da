"""Complaint intake and queries: the unit of work behind the unified API."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.catalog import service as catalog
from hub.complaints import lifecycle, updates
from hub.complaints.models import Complaint, ComplaintEvent, IdempotencyRecord, TrackingNumber
from hub.db import utcnow
from hub.notifications.service import emit
from hub.problems import Unprocessable
from schemas.models import ComplaintSubmission, Status


@dataclass(frozen=True)
class Intake:
    complaint: Complaint
    created: bool  # False when an Idempotency-Key replayed an earlier answer


def fingerprint(submission: ComplaintSubmission) -> str:
    canonical = json.dumps(
        submission.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def next_tracking_code(session: Session, now: datetime) -> str:
    """LPG-YYYY-NNNNNN: the year of filing and a number unique across years."""
    number = session.execute(insert(TrackingNumber).returning(TrackingNumber.id)).scalar_one()
    return f"LPG-{now.year}-{number:06d}"


def _check_references(session: Session, submission: ComplaintSubmission) -> None:
    errors = []
    if submission.category and not catalog.category_exists(session, submission.category):
        errors.append(
            {"pointer": "/category", "detail": f"unknown category {submission.category!r}"}
        )
    region = submission.location.region if submission.location else None
    if region and not catalog.institution_exists(session, region):
        errors.append({"pointer": "/location/region", "detail": f"unknown region {region!r}"})
    if errors:
        raise Unprocessable("The complaint refers to unknown codes.", errors=errors)


def _replay(session: Session, record: IdempotencyRecord, print_: str) -> Intake:
    if record.fingerprint != print_:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body.",
            errors=[
                {"pointer": "header:Idempotency-Key", "detail": "key reused with another body"}
            ],
        )
    complaint = session.get(Complaint, record.complaint_id)
    assert complaint is not None  # FK with cascade: the record dies with its complaint
    return Intake(complaint, created=False)


def submit(
    factory: sessionmaker[Session],
    submission: ComplaintSubmission,
    *,
    reporter: str | None,
    idempotency_key: str | None,
    idempotency_scope: str,
    route: Callable[[Session, Complaint], object] | None = None,
) -> Intake:
    """File a complaint: complaint, first timeline event and outbox message in one transaction."""
    print_ = fingerprint(submission)
    with factory() as session:
        try:
            with session.begin():
                if idempotency_key:
                    record = session.get(IdempotencyRecord, (idempotency_scope, idempotency_key))
                    if record is not None:
                        return _replay(session, record, print_)
                complaint = _create(session, submission, reporter, idempotency_key)
                if route is not None:
                    route(session, complaint)
                _announce(session, complaint)
                if idempotency_key:
                    session.add(
                        IdempotencyRecord(
                            scope=idempotency_scope,
                            key=idempotency_key,
                            fingerprint=print_,
                            complaint_id=complaint.id,
                            status_code=201,
                        )
                    )
            return Intake(complaint, created=True)
        except IntegrityError:
            if not idempotency_key:
                raise
        # A concurrent request with the same key committed first: answer as it did.
        with session.begin():
            record = session.get(IdempotencyRecord, (idempotency_scope, idempotency_key))
            if record is None:
                raise RuntimeError("idempotency conflict without a stored record")
            return _replay(session, record, print_)


def _create(
    session: Session,
    submission: ComplaintSubmission,
    reporter: str | None,
    idempotency_key: str | None,
) -> Complaint:
    _check_references(session, submission)
    now = utcnow()
    location = submission.location.model_dump(mode="json") if submission.location else None
    complaint = Complaint(
        id=uuid.uuid4(),
        tracking_code=next_tracking_code(session, now),
        channel=submission.channel.value,
        idempotency_key=idempotency_key,
        reporter=reporter,
        contact=submission.contact.model_dump(mode="json") if submission.contact else None,
        privacy=submission.privacy.value,
        title=submission.title,
        description=submission.description,
        category=submission.category,
        location=location,
        region=location.get("region") if location else None,
        lat=location.get("lat") if location else None,
        lon=location.get("lon") if location else None,
        attachments=[a.model_dump(mode="json") for a in submission.attachments],
        status=Status.RECEIVED.value,
        created_at=now,
        updated_at=now,
        external_refs=(
            {submission.channel.value: submission.external_ref} if submission.external_ref else {}
        ),
    )
    session.add(complaint)
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            seq=1,
            type="complaint.created",
            status=Status.RECEIVED.value,
            actor=reporter or submission.channel.value,
            occurred_at=now,
            recorded_at=now,
            data={"channel": submission.channel.value},
        )
    )
    session.flush()
    return complaint


def _announce(session: Session, complaint: Complaint) -> None:
    """`complaint.created` for subscribers, once triage has filled in category and OPD."""
    emit(
        session,
        "complaint.created",
        {
            "complaint_id": str(complaint.id),
            "tracking_code": complaint.tracking_code,
            "status": complaint.status,
            "category": complaint.category,
            "institution": complaint.institution,
            "channel": complaint.channel,
        },
        subject=complaint.tracking_code,
    )


def get(session: Session, complaint_id: uuid.UUID) -> Complaint | None:
    return session.get(Complaint, complaint_id)


def by_tracking_code(session: Session, code: str) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.tracking_code == code)).first()


@dataclass(frozen=True)
class Filters:
    status: list[str] | None = None
    category: str | None = None
    institution: str | None = None
    region: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    reporter: str | None = None
    # Who is looking: confidential (rahasia) reports are shown only to admins, the reporter
    # and the OPD they are routed to.
    viewer_admin: bool = False
    viewer_opd: str | None = None
    viewer_subject: str | None = None


def encode_cursor(complaint: Complaint) -> str:
    raw = f"{complaint.created_at.isoformat()}|{complaint.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|", 1)
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            "The cursor is not valid.", errors=[{"pointer": "query:cursor", "detail": str(exc)}]
        ) from exc


def search(
    session: Session, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[list[Complaint], str | None]:
    """Newest first, keyset-paginated on (created_at, id) so pages never skip or repeat."""
    query = select(Complaint)
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Complaint.status.in_(filters.status))
    if filters.category:
        conditions.append(Complaint.category == filters.category)
    if filters.institution:
        conditions.append(Complaint.institution == filters.institution)
    if filters.region:
        conditions.append(Complaint.region == filters.region)
    if filters.created_from:
        conditions.append(Complaint.created_at >= filters.created_from)
    if filters.created_to:
        conditions.append(Complaint.created_at < filters.created_to)
    if filters.reporter:
        conditions.append(Complaint.reporter == filters.reporter)
    if not filters.viewer_admin:
        allowed = [Complaint.privacy != "confidential"]
        if filters.viewer_opd:
            allowed.append(Complaint.institution == filters.viewer_opd)
        if filters.viewer_subject:
            allowed.append(Complaint.reporter == filters.viewer_subject)
        conditions.append(or_(*allowed))
    if cursor:
        stamp, ident = decode_cursor(cursor)
        conditions.append(
            or_(
                Complaint.created_at < stamp,
                and_(Complaint.created_at == stamp, Complaint.id < ident),
            )
        )
    query = query.where(*conditions).order_by(Complaint.created_at.desc(), Complaint.id.desc())
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def add_event(
    session: Session,
    complaint: Complaint,
    type: str,
    *,
    note: str | None = None,
    internal_note: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    """Append one entry to the complaint's timeline (the caller owns the transaction)."""
    return updates.append_event(
        session,
        complaint,
        type=type,
        note=note,
        internal_note=internal_note,
        actor=actor,
        data=data,
    )


def set_status(
    session: Session,
    complaint: Complaint,
    status: Status,
    *,
    note: str | None = None,
    internal_note: str | None = None,
    actor: str | None = None,
    occurred_at: datetime | None = None,
    institution: str | None = None,
    redirect_to: str | None = None,
) -> lifecycle.Outcome:
    """Move a complaint through the lifecycle, on its timeline, notifying subscribers.

    The caller owns the transaction. A repeated or stale update changes nothing; an illegal one
    raises `lifecycle.IllegalTransition`. `institution` is assigned only when the step applies;
    `redirect_to` names where a `redirected` report should go (kept for the public referral).
    """
    previous = complaint.institution
    if institution is not None:
        complaint.institution = institution
    outcome, _, _ = updates.change_status(
        session,
        complaint,
        status,
        occurred_at=occurred_at,
        actor=actor,
        note=note,
        internal_note=internal_note,
        data={"redirect_to": redirect_to} if redirect_to else None,
    )
    if outcome != lifecycle.Outcome.APPLY:
        complaint.institution = previous
    session.flush()
    session.expire(complaint, ["events"])
    return outcome
