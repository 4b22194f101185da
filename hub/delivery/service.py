"""Dead letters and delivery inspection: list, show (with every attempt), replay, discard."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from hub.db import utcnow
from hub.delivery.models import MessageState, OutboxMessage, TargetState
from hub.delivery.outbox import STAGED_KEY

__all__ = [
    "DeliveryNotFound",
    "InvalidState",
    "MessageView",
    "discard",
    "list_messages",
    "replay",
    "replay_dead",
    "set_max_in_flight",
    "set_rate_limit",
    "show",
    "targets",
]

REPLAYABLE = frozenset({MessageState.DEAD, MessageState.DISCARDED})


class DeliveryNotFound(LookupError):
    status_code = 404


class InvalidState(ValueError):
    status_code = 409


@dataclass(frozen=True)
class MessageView:
    message: OutboxMessage
    attempts: list[dict[str, Any]]

    def as_dict(self, *, with_attempts: bool = True) -> dict[str, Any]:
        m = self.message
        out: dict[str, Any] = {
            "id": str(m.id),
            "kind": m.kind,
            "target": m.target,
            "complaint_id": str(m.complaint_id) if m.complaint_id else None,
            "state": m.state,
            "attempts": m.attempts,
            "next_attempt_at": _iso(m.next_attempt_at),
            "leased_until": _iso(m.leased_until),
            "last_error": m.last_error,
            "external_ref": m.external_ref,
            "delivered_at": _iso(m.delivered_at),
            "dead_at": _iso(m.dead_at),
            "discard_reason": m.discard_reason,
            "replays": m.replays,
            "created_at": _iso(m.created_at),
        }
        if with_attempts:
            out["attempt_log"] = self.attempts
        return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _view(m: OutboxMessage) -> MessageView:
    attempts = [
        {
            "number": a.number,
            "started_at": _iso(a.started_at),
            "duration_ms": a.duration_ms,
            "outcome": a.outcome,
            "status_code": a.status_code,
            "response": a.response,
            "error_class": a.error_class,
            "error": a.error,
            "fields_sent": a.fields_sent,
            "retry_at": _iso(a.retry_at),
        }
        for a in m.attempt_log
    ]
    return MessageView(m, attempts)


def list_messages(
    session: Session,
    *,
    state: str | None = MessageState.DEAD,
    target: str | None = None,
    complaint_id: uuid.UUID | None = None,
    limit: int = 50,
    before: datetime | None = None,
) -> list[MessageView]:
    """Newest first; `before` (a created_at) pages backwards."""
    if state is not None and state not in set(MessageState):
        raise ValueError(f"unknown state {state!r}; known: {', '.join(MessageState)}")
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
    if state is not None:
        stmt = stmt.where(OutboxMessage.state == state)
    if target is not None:
        stmt = stmt.where(OutboxMessage.target == target)
    if complaint_id is not None:
        stmt = stmt.where(OutboxMessage.complaint_id == complaint_id)
    if before is not None:
        stmt = stmt.where(OutboxMessage.created_at < before)
    rows = session.scalars(stmt.limit(min(max(limit, 1), 500)))
    return [MessageView(m, []) for m in rows]


def show(session: Session, message_id: uuid.UUID) -> MessageView:
    m = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .options(selectinload(OutboxMessage.attempt_log))
    )
    if m is None:
        raise DeliveryNotFound(f"no delivery message {message_id}")
    return _view(m)


def _reset(session: Session, m: OutboxMessage, now: datetime) -> None:
    m.state, m.attempts, m.next_attempt_at = MessageState.PENDING, 0, now
    m.leased_until = m.lease_token = m.dead_at = None
    m.discard_reason, m.replays = None, m.replays + 1
    m.enqueued_at = now
    session.info.setdefault(STAGED_KEY, []).append(m.id)  # relayed after commit


def replay(session: Session, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Back to pending, due now, budget reset; enqueued after the caller commits."""
    now = utcnow()
    done = []
    for message_id in ids:
        m = session.get(OutboxMessage, message_id, with_for_update=True)
        if m is None:
            raise DeliveryNotFound(f"no delivery message {message_id}")
        if m.state not in REPLAYABLE:
            raise InvalidState(f"message {message_id} is {m.state}; only dead letters replay")
        _reset(session, m, now)
        done.append(m.id)
    return done


def replay_dead(
    session: Session, *, target: str | None = None, limit: int = 1000
) -> list[uuid.UUID]:
    """Replay every dead letter (of one target); e.g. after the OPD app came back."""
    stmt = select(OutboxMessage.id).where(OutboxMessage.state == MessageState.DEAD)
    if target is not None:
        stmt = stmt.where(OutboxMessage.target == target)
    ids = list(session.scalars(stmt.order_by(OutboxMessage.created_at).limit(limit)))
    if target is not None:  # a fresh start for its breaker too
        session.execute(
            update(TargetState)
            .where(TargetState.target == target)
            .values(breaker_state="closed", failures=0, trips=0, open_until=None)
        )
    return replay(session, ids)


def discard(session: Session, message_id: uuid.UUID, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValueError("say why the message is discarded")
    m = session.get(OutboxMessage, message_id, with_for_update=True)
    if m is None:
        raise DeliveryNotFound(f"no delivery message {message_id}")
    if m.state != MessageState.DEAD:
        raise InvalidState(f"message {message_id} is {m.state}; only dead letters are discarded")
    m.state, m.discard_reason = MessageState.DISCARDED, reason[:2000]


def set_max_in_flight(session: Session, target: str, limit: int | None) -> None:
    """The concurrency an OPD app allows us (None: back to the default)."""
    from hub.delivery.engine import lock_target

    if limit is not None and limit < 1:
        raise ValueError("max_in_flight is at least 1 (or unset for the default)")
    lock_target(session, target).max_in_flight = limit


def set_rate_limit(session: Session, target: str, per_minute: int | None) -> None:
    """The calls per minute an OPD app allows (None: unlimited); the engine enforces it."""
    from hub.delivery.engine import lock_target

    if per_minute is not None and per_minute < 1:
        raise ValueError("rate_limit_per_minute is at least 1 (or unset for no limit)")
    row = lock_target(session, target)
    if row.rate_per_minute != per_minute:
        row.rate_per_minute, row.rate_tat = per_minute, None


def targets(session: Session) -> list[dict[str, Any]]:
    """Breaker state per target, for the console."""
    return [
        {
            "target": t.target,
            "breaker": t.breaker_state,
            "failures": t.failures,
            "open_until": _iso(t.open_until),
            "max_in_flight": t.max_in_flight,
            "rate_per_minute": t.rate_per_minute,
            "suspended_at": _iso(t.suspended_at),
            "suspended_reason": t.suspended_reason,
            "last_error": t.last_error,
        }
        for t in session.scalars(select(TargetState).order_by(TargetState.target))
    ]
