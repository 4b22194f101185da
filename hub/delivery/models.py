"""The transactional outbox: a message is written in the same transaction as its change."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import GUID, Base, JSONType, UTCDateTime, utcnow


class MessageKind(StrEnum):
    DELIVER_COMPLAINT = "deliver_complaint"  # hand a complaint to its OPD app
    WEBHOOK = "webhook"  # notify a subscriber (Standard Webhooks)


class MessageState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"  # in the dead-letter list
    DISCARDED = "discarded"  # dead letter an admin gave up on, with a reason


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
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker that takes the message leases it until then; the sweep skips leased messages.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
