"""The append-only audit log: every admin action and every login event gets one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where (`cli:<os user>`, `user:<id>`, `client:<id>`)."""

    name: str
    ip: str | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str | None,
    at: datetime,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        at=at, actor=actor.name, action=action, target=target, ip=actor.ip, details=details
    )
    session.add(event)
    return event


def recent(session: Session, limit: int = 100, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))
