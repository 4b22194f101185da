"""From the outbox to the broker: enqueue after commit, and a sweep as the safety net.

Wiring: `install()` once at startup (API process) registers SQLAlchemy session events, so every
commit that staged messages enqueues them afterwards.  Without `install()`, call
`flush(outbox.staged_ids(session))` yourself after the commit.  A broker outage at enqueue time
is logged and left to `sweep()`, which the beat runs every few seconds: nothing is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.delivery.models import MessageState, OutboxMessage
from hub.delivery.outbox import STAGED_KEY

__all__ = ["Sender", "flush", "install", "installed", "set_sender", "sweep", "uninstall"]

log = logging.getLogger(__name__)

Sender = Callable[[uuid.UUID], None]  # puts deliver(message_id) on the broker; raises if it cannot
_sender: Sender | None = None
_installed = False


def set_sender(sender: Sender | None) -> None:
    """Override how a message id is enqueued (tests, or a non-Celery runner)."""
    global _sender
    _sender = sender


def _default_sender() -> Sender:
    if _sender is not None:
        return _sender
    from hub.delivery.tasks import enqueue_deliver  # late: keeps Celery out of pure imports

    return enqueue_deliver


def flush(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Enqueue `ids` now (only after the staging transaction committed); returns the failures."""
    from hub.ops.metrics import OUTBOX_ENQUEUED

    send = _default_sender()
    failed: list[uuid.UUID] = []
    sent = 0
    for message_id in ids:
        try:
            send(message_id)
            sent += 1
        except Exception as exc:  # the broker is down: the sweep will send it later
            log.warning("enqueue of %s failed, left to the sweep: %s", message_id, exc)
            failed.append(message_id)
    OUTBOX_ENQUEUED.labels("ok").inc(sent)
    if failed:
        OUTBOX_ENQUEUED.labels("failed").inc(len(failed))
    return failed


def _after_commit(session: Session) -> None:
    ids = session.info.pop(STAGED_KEY, None)
    if ids:
        flush(ids)


def _after_rollback(session: Session) -> None:
    session.info.pop(STAGED_KEY, None)


def install() -> None:
    """Enqueue staged messages after every commit of every Session (idempotent)."""
    global _installed
    from sqlalchemy import event

    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        _installed = True


def installed() -> bool:
    return _installed


def uninstall() -> None:
    global _installed
    from sqlalchemy import event

    if _installed:
        event.remove(Session, "after_commit", _after_commit)
        event.remove(Session, "after_rollback", _after_rollback)
        _installed = False


def due_filter(now: Any, grace: float) -> Any:
    return (
        (OutboxMessage.state == MessageState.PENDING)
        & (OutboxMessage.target.is_not(None))
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now)
        & or_(
            OutboxMessage.enqueued_at.is_(None),
            OutboxMessage.enqueued_at < now - timedelta(seconds=grace),
        )
    )


def sweep(factory: sessionmaker[Session], *, grace: float, batch: int = 500) -> int:
    """Re-enqueue messages that are pending, due, not leased and not recently enqueued."""
    now = utcnow()
    with factory() as session, session.begin():
        ids = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(due_filter(now, grace))
                .order_by(OutboxMessage.next_attempt_at)
                .limit(batch)
            )
        )
        if ids:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(enqueued_at=now)
            )
    if not ids:
        return 0
    failed = flush(ids)
    if failed:  # broker still down: make them eligible again at the next sweep
        with factory() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(failed), OutboxMessage.enqueued_at == now)
                .values(enqueued_at=None)
            )
    return len(ids) - len(failed)
