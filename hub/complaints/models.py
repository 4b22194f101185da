"""Complaint tables: the complaint, its timeline, tracking-code counters, idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import GUID, Base, JSONType, UTCDateTime, utcnow


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    reporter: Mapped[str | None] = mapped_column(String(255), index=True)
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    privacy: Mapped[str] = mapped_column(String(16), default="public")
    sensitive: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    region: Mapped[str | None] = mapped_column(String(64), index=True)  # copy of location.region
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    institution: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # occurred_at of the newest applied status update (FixMyStreet's "newer only" rule)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_refs: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)

    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.seq", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_complaints_created", "created_at", "id"),
        # The duplicate search: same category, inside a bounding box, newest first.
        Index("ix_complaints_nearby", "category", "lat", "lon"),
    )


class ComplaintEvent(Base):
    """One entry on a complaint's timeline; append-only."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))  # complaint.created, complaint.status_changed..
    status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)  # public text
    internal_note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    source_event_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="events")

    __table_args__ = (
        UniqueConstraint("complaint_id", "seq"),
        # A status update from the same source is applied at most once.
        UniqueConstraint("complaint_id", "source_event_id", name="uq_complaint_events_source"),
    )


class TrackingNumber(Base):
    """Numbers behind LPG-YYYY-NNNNNN codes: a sequence on PostgreSQL, so concurrent intakes
    never queue on a counter row (a per-year counter row did, measured in bench/intake.py)."""

    __tablename__ = "tracking_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)


class IdempotencyRecord(Base):
    """The stored answer to an intake request carrying an Idempotency-Key."""

    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(255), primary_key=True)  # caller identity
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical request body
    complaint_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE")
    )
    status_code: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonalDataAccess(Base):
    """Who was shown a reporter's personal data, when and through what (UU 27/2022): the
    reporter and admins can read this log; nobody can change it through the hub."""

    __tablename__ = "personal_data_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    viewer: Mapped[str | None] = mapped_column(String(255))  # SSO subject or client id
    viewer_kind: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str | None] = mapped_column(String(255))
    opd: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    via: Mapped[str] = mapped_column(String(200))  # e.g. "GET /v1/complaints/{complaint_id}"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
