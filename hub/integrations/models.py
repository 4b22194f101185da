"""A registered connector instance: type + config + owning OPD + what it serves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, UTCDateTime, utcnow


class ConnectorInstance(Base):
    __tablename__ = "connector_instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # slug, e.g. "dlh-rest"
    connector: Mapped[str] = mapped_column(String(64))  # the connector type's name
    institution: Mapped[str] = mapped_column(
        String(64), ForeignKey("institutions.code"), index=True
    )
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty = all
    regions: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty = all
    # The whole config encrypted (Fernet); a copy with secrets masked for display.
    config_sealed: Mapped[str] = mapped_column(Text)
    config_redacted: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(default=False)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_check_ok: Mapped[bool | None]
    last_check_detail: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
