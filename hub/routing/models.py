"""Routing rule sets as admins edit them: every saved version is kept, the newest is in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, UTCDateTime, utcnow


class RuleSetVersion(Base):
    __tablename__ = "routing_rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # The version this one replaced. Unique: each version has at most one successor, so two
    # admins saving from the same version at once cannot both win (the second gets a 409).
    based_on: Mapped[int | None] = mapped_column(Integer, unique=True)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
