"""Stage messages in the caller's transaction; they are sent only after it commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from hub.delivery.models import OutboxMessage


def stage(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    target: str | None = None,
    complaint_id: uuid.UUID | None = None,
) -> OutboxMessage:
    message = OutboxMessage(kind=kind, payload=payload, target=target, complaint_id=complaint_id)
    session.add(message)
    return message
