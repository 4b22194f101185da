"""A link between a report and an earlier one it may repeat."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import GUID, Base, UTCDateTime, utcnow


class LinkState(StrEnum):
    SUGGESTED = "suggested"  # proposed by the hub at intake
    CONFIRMED = "confirmed"  # staff: the complaint is a duplicate of `original_id`
    DISMISSED = "dismissed"  # staff: not the same problem


class DuplicateLink(Base):
    __tablename__ = "duplicate_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    original_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    distance_m: Mapped[float | None] = mapped_column(Float)  # None: one had no coordinates
    state: Mapped[str] = mapped_column(String(16), default=LinkState.SUGGESTED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("complaint_id", "original_id"),)
