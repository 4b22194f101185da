"""Suspension of a connector target and the human fallback lane.

A target whose deliveries keep failing (every call failed for longer than `after_failing`, or
`after_dead` messages dead-lettered in a row) is suspended by the engine, in the transaction
that recorded the failing attempt: its pending messages are *parked* (kept, not sent), each
parked complaint gets a `complaint.inbox` timeline entry (it now waits in the OPD's inbox in the
hub, for staff to handle by hand), the OPD is told (`connector.suspended` notification) and the
audit log gets a row.  Messages staged for a suspended target later are parked when leased.

The state lives on `TargetState`, not on `ConnectorInstance`: the engine already holds that row
locked while it leases and records attempts, so counting the failure streak, deciding to
suspend and refusing to call happen atomically, in one place, in every worker process; and the
admin's intent (`ConnectorInstance.enabled`) stays apart from the engine's verdict on health.

`resume()` (after a passing check) un-parks the messages and relays them.  Status that staff
set by hand meanwhile is reconciled by the state machine: a delivery never moves a complaint
back to `dispatched` once it is past it (`engine._on_delivered`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.delivery.models import MessageKind, MessageState, OutboxMessage, TargetState
from hub.delivery.outbox import STAGED_KEY

__all__ = [
    "ACTOR",
    "SuspensionConfig",
    "is_suspended",
    "park",
    "park_pending",
    "record_outcome",
    "resume",
    "should_suspend",
    "suspend",
    "view",
]

log = logging.getLogger(__name__)

ACTOR = "hub:delivery"
INBOX_NOTE_ID = (
    "Aplikasi OPD tidak dapat dihubungi; laporan ditangani petugas melalui kotak masuk hub."
)
INBOX_NOTE_EN = "The OPD app is unreachable: the report waits in the OPD's inbox in the hub."


@dataclass(frozen=True)
class SuspensionConfig:
    after_failing: timedelta | None = timedelta(hours=72)  # every call failed this long
    after_dead: int | None = 20  # dead letters in a row

    def __post_init__(self) -> None:
        if self.after_failing is not None and self.after_failing <= timedelta(0):
            raise ValueError("after_failing must be a positive duration (or None)")
        if self.after_dead is not None and self.after_dead < 1:
            raise ValueError("after_dead must be >= 1 (or None)")


def applies_to(target: str | None) -> bool:
    """Connector instances only: webhook subscriptions are disabled on 410 instead."""
    return target is not None and not target.startswith("webhook:")


def record_outcome(
    row: TargetState, *, delivered: bool, answered: bool, dead: bool, now: datetime
) -> None:
    """Update the failure streak after one attempt (pure bookkeeping on the locked row)."""
    if delivered:
        row.failing_since, row.dead_streak = None, 0
        return
    if answered:  # the app is alive (it refused one message): not "every call failed"
        row.failing_since = None
    elif row.failing_since is None:
        row.failing_since = now
    if dead:
        row.dead_streak = (row.dead_streak or 0) + 1


def should_suspend(
    failing_since: datetime | None, dead_streak: int, now: datetime, cfg: SuspensionConfig
) -> str | None:
    """Why the target must be suspended now, or None."""
    if cfg.after_dead is not None and dead_streak >= cfg.after_dead:
        return f"{dead_streak} messages dead-lettered in a row"
    if (
        cfg.after_failing is not None
        and failing_since is not None
        and now - failing_since >= cfg.after_failing
    ):
        hours = (now - failing_since).total_seconds() / 3600
        return f"every delivery failed for {hours:.1f} h (since {failing_since.isoformat()})"
    return None


def is_suspended(session: Session, target: str) -> bool:
    row = session.get(TargetState, target)
    return row is not None and row.suspended_at is not None


def _inbox(session: Session, msg: OutboxMessage, reason: str) -> None:
    from hub.complaints.updates import append_event, find_complaint

    if msg.kind != MessageKind.DELIVER_COMPLAINT or msg.complaint_id is None:
        return
    complaint = find_complaint(session, complaint_id=msg.complaint_id)
    if complaint is None:
        return
    append_event(
        session,
        complaint,
        type="complaint.inbox",
        actor=ACTOR,
        note=INBOX_NOTE_ID,
        internal_note=f"{INBOX_NOTE_EN} ({msg.target} suspended: {reason[:300]})",
        data={
            "institution": complaint.institution,
            "target": msg.target,
            "message_id": str(msg.id),
            "reason": "connector_suspended",
        },
    )


def park(session: Session, msg: OutboxMessage, reason: str) -> None:
    """Keep the message, stop sending it, and put its complaint in the OPD's inbox."""
    msg.state = MessageState.PARKED
    msg.leased_until, msg.lease_token, msg.enqueued_at = None, None, None
    _inbox(session, msg, reason)


def park_pending(session: Session, message_id: object, now: datetime, reason: str) -> bool:
    """Park one message staged for a suspended target, unless a worker holds it or it is no
    longer pending (atomic: two workers never both park it and file two inbox entries)."""
    taken = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == MessageState.PENDING,
            (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
        )
        .values(state=MessageState.PARKED, enqueued_at=None, leased_until=None, lease_token=None)
        .execution_options(synchronize_session="fetch")
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    msg = session.get(OutboxMessage, message_id)
    if msg is not None:
        _inbox(session, msg, reason)
    return True


def _institution(session: Session, target: str) -> str | None:
    from hub.integrations.models import ConnectorInstance

    instance = session.get(ConnectorInstance, target)
    return instance.institution if instance is not None else None


def _audit(
    session: Session, action: str, instance: str, now: datetime, actor: str, details: dict[str, Any]
) -> None:
    from auth.audit import Actor, record

    record(session, Actor(actor), action, f"connector-instance:{instance}", now, **details)


def suspend(session: Session, row: TargetState, reason: str, now: datetime) -> int:
    """Suspend the (locked) target: park what waits for it, tell the OPD, audit. Returns the
    number of messages parked (messages in flight now are parked when they finish)."""
    from hub.notifications.service import emit

    row.suspended_at, row.suspended_reason = now, reason[:1000]
    waiting = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.target == row.target,
                OutboxMessage.state == MessageState.PENDING,
                (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
            )
            .order_by(OutboxMessage.created_at)
            .with_for_update()
        )
    )
    for msg in waiting:
        park(session, msg, reason)
    institution = _institution(session, row.target)
    log.error("connector target %s suspended: %s (%d parked)", row.target, reason, len(waiting))
    data = {
        "target": row.target,
        "institution": institution,
        "reason": reason[:500],
        "suspended_at": now.isoformat(),
        "parked": len(waiting),
    }
    emit(session, "connector.suspended", data, subject=row.target)
    details = {k: v for k, v in data.items() if k != "target"}  # the audit row names it
    _audit(session, "connector.suspended", row.target, now, ACTOR, details)
    return len(waiting)


def resume(session: Session, target: str, now: datetime, *, actor: str) -> int:
    """Lift the suspension and replay the parked messages (relayed after commit): returns how
    many.  The caller has just seen a passing check; the breaker starts closed again."""
    from hub.delivery.engine import lock_target

    row = lock_target(session, target)
    was = row.suspended_at
    row.suspended_at = row.suspended_reason = None
    row.failing_since, row.dead_streak = None, 0
    row.breaker_state, row.failures, row.trips = "closed", 0, 0
    row.open_until = row.probe_until = None
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.target == target, OutboxMessage.state == MessageState.PARKED)
            .order_by(OutboxMessage.created_at)
        )
    )
    if ids:
        # A fresh budget: the attempts spent while the app was down say nothing about it now.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                state=MessageState.PENDING,
                attempts=0,
                next_attempt_at=now,
                enqueued_at=now,
                replays=OutboxMessage.replays + 1,
            )
        )
        session.info.setdefault(STAGED_KEY, []).extend(ids)
    if was is not None or ids:
        details = {"replayed": len(ids), "suspended_at": was.isoformat() if was else None}
        _audit(session, "connector.resumed", target, now, actor, details)
    return len(ids)


def view(session: Session, target: str) -> dict[str, Any]:
    """The suspension state as the API and CLI show it."""
    row = session.get(TargetState, target)
    parked = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.target == target, OutboxMessage.state == MessageState.PARKED
        )
    )
    return {
        "suspended": row is not None and row.suspended_at is not None,
        "suspended_at": row.suspended_at.isoformat() if row and row.suspended_at else None,
        "reason": row.suspended_reason if row else None,
        "failing_since": row.failing_since.isoformat() if row and row.failing_since else None,
        "dead_streak": row.dead_streak if row else 0,
        "parked": int(parked or 0),
    }
