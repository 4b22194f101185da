"""Stage messages in the caller's transaction; they are sent only after it commits.

`stage()` remembers the new message's id on the session; when the session commits, the relay
(`hub.delivery.relay`) puts a `deliver(message_id)` task on the broker.  If that fails, the
beat sweep finds the message anyway: the database row is the truth, the broker only a doorbell.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.delivery.models import MessageKind, OutboxMessage

__all__ = ["STAGED_KEY", "stage", "staged_ids"]

STAGED_KEY = "hub.delivery.staged"


def stage(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    target: str | None = None,
    complaint_id: uuid.UUID | None = None,
) -> OutboxMessage:
    if kind not in set(MessageKind):
        raise ValueError(f"unknown message kind {kind!r}; known: {', '.join(MessageKind)}")
    now = utcnow()
    message = OutboxMessage(
        id=uuid.uuid4(),
        kind=kind,
        payload=payload,
        target=target,
        complaint_id=complaint_id,
        next_attempt_at=now,
        # Counted as enqueued: the relay sends it right after commit; the sweep is the backstop.
        enqueued_at=now if target is not None else None,
    )
    session.add(message)
    if target is not None:
        session.info.setdefault(STAGED_KEY, []).append(message.id)
    return message


def staged_ids(session: Session) -> list[uuid.UUID]:
    """Ids staged in the session's current transaction (not yet relayed)."""
    return list(session.info.get(STAGED_KEY, []))
