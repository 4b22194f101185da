"""Housekeeping the beat runs: prune delivered history, purge expired SSO codes and tokens.

Dead letters (and discarded ones) are never pruned here: they are the evidence an admin needs.
Delivered messages are the bulk of the outbox; after the retention window their attempt log is
deleted with them (ON DELETE CASCADE, and the ORM does the same on SQLite).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.delivery.models import DeliveryAttempt, MessageState, OutboxMessage

__all__ = ["prune_delivered", "purge_auth"]


def prune_delivered(
    session: Session, now: datetime, retention: timedelta, *, batch: int = 5000
) -> int:
    """Delete up to `batch` messages delivered before `now - retention`, with their attempts."""
    cutoff = now - retention
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == MessageState.DELIVERED,
                OutboxMessage.delivered_at < cutoff,
            )
            .order_by(OutboxMessage.delivered_at)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    # Explicit, so SQLite without foreign-key enforcement leaves no orphan attempts either.
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(ids)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return len(ids)


def purge_auth(session: Session, now: datetime, retention: timedelta) -> dict[str, int]:
    """Expired authorization codes, tokens, browser sessions and old login attempts."""
    from auth.maintenance import purge_expired

    return purge_expired(session, now, retention)
