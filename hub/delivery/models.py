"""The transactional outbox, its attempt log, per-target breaker state and polling cursors."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import GUID, Base, JSONType, UTCDateTime, utcnow


class MessageKind(StrEnum):
    DELIVER_COMPLAINT = "deliver_complaint"  # hand a complaint to its OPD app
    WEBHOOK = "webhook"  # notify a subscriber (Standard Webhooks)


class MessageState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"  # in the dead-letter list
    DISCARDED = "discarded"  # dead letter an admin gave up on, with a reason
    # Its target is suspended: the complaint waits in the OPD's inbox in the hub; the message is
    # kept and replayed when an admin re-enables the target after a passing check.
    PARKED = "parked"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    TRANSIENT = "transient"  # retried later
    RATE_LIMITED = "rate_limited"
    PERMANENT = "permanent"  # dead-lettered at once
    TIMEOUT = "timeout"  # the hub's hard cap on one call fired


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    # Which connector instance or subscription it goes to; None until routing decides.
    target: Mapped[str | None] = mapped_column(String(64), index=True)
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=MessageState.PENDING)
    # Attempts started (counted when the lease is taken, so a worker that dies mid-call still
    # uses up budget: a poison message cannot loop forever).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker that takes the message leases it until then; the sweep skips leased messages.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which lease holder may finish the message (a late worker whose lease expired may not).
    lease_token: Mapped[uuid.UUID | None] = mapped_column(GUID)
    # When a task for it was last put on the broker; the sweep leaves recent ones alone.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discard_reason: Mapped[str | None] = mapped_column(Text)
    # A call slot booked under the target's rate limit (the message waits for it; when it comes
    # back at that time it goes without asking the bucket again: it already paid).
    rate_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="message", order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_target_lease", "target", "state", "leased_until"),
    )


class DeliveryAttempt(Base):
    """One try of one message: what was sent, what came back, how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    target: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)  # truncated
    error_class: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    # Complaint fields handed over (data minimisation: who saw what is auditable).
    fields_sent: Mapped[list[str] | None] = mapped_column(JSONType)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")


class TargetState(Base):
    """Per-target (connector instance or subscription) circuit breaker and bulkhead settings.

    Kept in the database, not in Redis: the lease, the breaker admission and the in-flight count
    change in one transaction, every worker sees the same state, and the embedded profile (no
    Redis) works the same way.  The row is also the per-target lock that serialises leasing.
    """

    __tablename__ = "delivery_targets"

    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    breaker_state: Mapped[str] = mapped_column(String(16), default="closed")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive
    trips: Mapped[int] = mapped_column(Integer, default=0)  # consecutive openings
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    probe_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Concurrent calls the OPD lets us make (its rate limit); None: the engine's default.
    max_in_flight: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Per-OPD rate limit (GCRA): calls per minute (None: unlimited) and the theoretical arrival
    # time of the next call; a call may start when rate_tat - now <= the burst tolerance.
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    rate_tat: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Suspension (the human fallback lane): since when every call failed, how many messages were
    # dead-lettered in a row, and when (and why) the engine stopped calling the app altogether.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PollCursor(Base):
    """Where polling of one connector instance resumes."""

    __tablename__ = "poll_cursors"

    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    updates_applied: Mapped[int] = mapped_column(Integer, default=0)
