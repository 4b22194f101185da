"""Webhook subscriptions: where events go, and the (encrypted) secrets that sign them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import GUID, Base, JSONType, UTCDateTime, utcnow


class Subscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(255), index=True)  # SSO client id
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)  # "*" = every type
    # Fernet tokens of `whsec_...` secrets: the current one, and retiring ones with expiry.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    old_secrets: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
