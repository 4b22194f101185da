"""One delivery attempt, start to finish: lease, admit, call, record, decide.

    lease    short transaction: per-target row lock; breaker admission; per-target in-flight
             cap (bulkhead); atomic UPDATE ... WHERE pending AND not leased (two workers never
             run one message together); attempts += 1 (a worker dying mid-call still spends
             budget, so a poison message ends in the dead-letter list)
    call     outside any transaction, hard-capped at `call_timeout` (a blackholed app holds a
             worker slot for at most that long, and the breaker soon stops calling it)
    finish   short transaction: one DeliveryAttempt row; breaker update; delivered / retry at
             next_attempt_at per the policy / dead-letter; effects on the complaint

Framework-free apart from SQLAlchemy: Celery tasks (`hub.delivery.tasks`) are thin wrappers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors import Connector, DeliveryResult
from connectors.errors import ConfigError, ConnectorError, PermanentError, TransientError
from hub.complaints.lifecycle import IllegalTransition
from hub.complaints.models import Complaint as ComplaintRow
from hub.complaints.updates import append_event, change_status, find_complaint
from hub.db import utcnow
from hub.delivery import breaker, ratelimit, suspension
from hub.delivery.models import (
    AttemptOutcome,
    DeliveryAttempt,
    MessageKind,
    MessageState,
    OutboxMessage,
    TargetState,
)
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import Runtime
from schemas.models import Complaint, Privacy, Status

__all__ = ["CallResult", "Lease", "Step", "build_complaint", "process"]

log = logging.getLogger(__name__)

# Always sent: the schema requires them, and they carry no personal data.
REQUIRED_FIELDS = frozenset(
    {"id", "tracking_code", "channel", "privacy", "title", "description", "status"}
    | {"created_at", "updated_at"}
)
PERSONAL_FIELDS = frozenset({"contact", "reporter", "idempotency_key"})


class Step(StrEnum):
    LEASED = "leased"  # (from lease() only) this worker holds the message now
    SKIPPED = "skipped"  # not pending, not due, leased by another worker, or unknown
    DEFERRED = "deferred"  # breaker open: rescheduled to when the target may be probed
    BUSY = "busy"  # the target's in-flight cap is reached: offer it again in a moment
    THROTTLED = "throttled"  # the OPD's rate limit: booked a later call slot (next_attempt_at)
    PARKED = "parked"  # the target is suspended: the complaint went to the OPD's inbox
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"
    LEASE_LOST = "lease_lost"  # the attempt outlived its lease; someone else owns it now


@dataclass(frozen=True)
class Lease:
    message_id: uuid.UUID
    token: uuid.UUID
    number: int
    target: str
    kind: str
    probe: bool
    # The complaint row, read in the lease transaction (saves a round trip per attempt).
    complaint: dict[str, Any] | None = None


@dataclass(frozen=True)
class CallResult:
    outcome: AttemptOutcome
    started_at: datetime
    duration_ms: int
    result: DeliveryResult | None = None
    error: ConnectorError | Exception | None = None
    retry_after: float | None = None
    fields_sent: list[str] | None = None

    @property
    def answered(self) -> bool:
        """The target responded (success or a refusal): it is alive, for the breaker."""
        return self.outcome in (AttemptOutcome.DELIVERED, AttemptOutcome.PERMANENT)


def _breaker_state(row: TargetState) -> breaker.BreakerState:
    return breaker.BreakerState(
        state=breaker.State(row.breaker_state),
        failures=row.failures,
        trips=row.trips,
        open_until=row.open_until,
        probe_until=row.probe_until,
    )


def _store_breaker(row: TargetState, state: breaker.BreakerState) -> None:
    row.breaker_state = state.state
    row.failures, row.trips = state.failures, state.trips
    row.open_until, row.probe_until = state.open_until, state.probe_until


def lock_target(session: Session, target: str) -> TargetState:
    """The target's row, write-locked (PostgreSQL row lock; SQLite's database write lock)."""
    now = utcnow()
    touch = (
        update(TargetState)
        .where(TargetState.target == target)
        .values(updated_at=now)
        .returning(TargetState)
        .execution_options(populate_existing=True)
    )
    row = session.scalars(touch).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(TargetState(target=target, updated_at=now))
        except IntegrityError:  # created concurrently: lock that one
            pass
        row = session.scalars(touch).first()
    assert row is not None
    return row


def _defer(session: Session, message_id: uuid.UUID, at: datetime | None) -> None:
    values: dict[str, Any] = {"enqueued_at": None}
    if at is not None:
        values["next_attempt_at"] = at
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def _bury(session: Session, msg: OutboxMessage, now: datetime) -> Step:
    taken = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == msg.id,
            OutboxMessage.state == MessageState.PENDING,
            (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
        )
        .values(state=MessageState.DEAD, dead_at=now, leased_until=None, lease_token=None)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return Step.SKIPPED
    reason = f"budget of {msg.attempts} attempts spent; the last ones never finished"
    msg.last_error = reason
    _on_dead(session, msg, reason)
    return Step.DEAD


def _resolver_ready() -> bool:
    try:
        get_resolver()
    except ConfigError as exc:
        log.error("cannot deliver complaints: %s", exc)
        return False
    return True


def lease(rt: Runtime, message_id: uuid.UUID) -> tuple[Step, Lease | None]:
    cfg = rt.settings
    with rt.factory() as session, session.begin():
        now = rt.clock()
        msg = session.get(OutboxMessage, message_id)
        if (
            msg is None
            or msg.state != MessageState.PENDING
            or msg.target is None
            or msg.next_attempt_at > now
            or (msg.leased_until is not None and msg.leased_until >= now)
        ):
            return Step.SKIPPED, None
        if msg.attempts >= cfg.policy().max_attempts:
            # Every attempt so far ended with its worker dying (no finish recorded them): the
            # attempt cap that makes acks_late + reject_on_worker_lost safe from poison messages.
            return _bury(session, msg, now), None
        # A misconfigured worker leaves messages pending rather than dead-lettering them all.
        if msg.kind == MessageKind.DELIVER_COMPLAINT and not _resolver_ready():
            return Step.SKIPPED, None
        if msg.kind == MessageKind.WEBHOOK and rt.fernet is None:
            log.error("cannot sign webhooks: no secret key configured (HUB_SECRET_KEY)")
            return Step.SKIPPED, None
        target = msg.target
        row = lock_target(session, target)
        if row.suspended_at is not None and suspension.applies_to(target):
            parked = suspension.park_pending(session, message_id, now, row.suspended_reason or "")
            return (Step.PARKED if parked else Step.SKIPPED), None
        admission = breaker.admit(_breaker_state(row), now, cfg.breaker())
        if not admission.allowed:
            _defer(session, message_id, admission.retry_at)
            return Step.DEFERRED, None
        in_flight = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.target == target,
                OutboxMessage.state == MessageState.PENDING,
                OutboxMessage.leased_until > now,
            )
        )
        if (in_flight or 0) >= (row.max_in_flight or cfg.max_in_flight):
            # The caller re-enqueues it shortly; should that fail, the sweep does after its grace.
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(enqueued_at=now)
            )
            return Step.BUSY, None
        paid = msg.rate_slot is not None and msg.rate_slot <= now
        if not paid:
            verdict = ratelimit.take(row.rate_per_minute, row.rate_tat, now, cfg.rate_burst)
            row.rate_tat = verdict.tat
            if not verdict.allowed:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(next_attempt_at=verdict.slot, rate_slot=verdict.slot, enqueued_at=None)
                )
                return Step.THROTTLED, None
        token = uuid.uuid4()
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == MessageState.PENDING,
                (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
            )
            .values(
                leased_until=now + timedelta(seconds=cfg.lease_seconds),
                lease_token=token,
                attempts=OutboxMessage.attempts + 1,
                rate_slot=None,
            )
            .returning(OutboxMessage.attempts)
        ).first()
        if taken is None:
            return Step.SKIPPED, None
        if admission.probe:
            _store_breaker(row, admission.state)
        complaint = None
        if msg.kind == MessageKind.DELIVER_COMPLAINT and msg.complaint_id is not None:
            found = session.get(ComplaintRow, msg.complaint_id)
            complaint = complaint_doc(found) if found is not None else None
        number = taken[0]
        return Step.LEASED, Lease(
            message_id, token, number, target, msg.kind, admission.probe, complaint
        )


def complaint_doc(row: ComplaintRow) -> dict[str, Any]:
    """A plain snapshot of the row (usable after its session is gone)."""
    return {
        "id": row.id,
        "tracking_code": row.tracking_code,
        "channel": row.channel,
        "idempotency_key": row.idempotency_key,
        "reporter": row.reporter,
        "contact": row.contact,
        "privacy": row.privacy,
        "sensitive": row.sensitive,
        "title": row.title,
        "description": row.description,
        "category": row.category,
        "location": row.location,
        "attachments": row.attachments or [],
        "institution": row.institution,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "external_refs": row.external_refs or {},
    }


def build_complaint(
    source: ComplaintRow | dict[str, Any], fields_needed: frozenset[str] | None
) -> Complaint:
    """The common-schema complaint, cut down to what the target's OPD needs."""
    doc = source if isinstance(source, dict) else complaint_doc(source)
    keep = set(doc) if fields_needed is None else set(fields_needed) | REQUIRED_FIELDS
    if doc["privacy"] == Privacy.ANONYMOUS and fields_needed is None:
        keep -= PERSONAL_FIELDS  # anonim: identity hidden unless the OPD declared it needs it
    return Complaint.model_validate({k: v for k, v in doc.items() if k in keep and v is not None})


def _truncate(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


async def _call_connector(rt: Runtime, lease_: Lease) -> tuple[DeliveryResult, list[str]]:
    row = lease_.complaint
    if row is None:
        raise PermanentError("the message names no complaint, or it no longer exists")
    connector: Connector = get_resolver().resolve(lease_.target)
    if not connector.supports("deliver"):
        raise ConfigError(f"connector {connector.name!r} cannot deliver complaints")
    try:
        complaint = build_complaint(row, connector.fields_needed)
    except ValidationError as exc:
        raise PermanentError(f"complaint does not fit the common schema: {exc}") from exc
    sent = sorted(complaint.model_dump(exclude_unset=True))
    result = await connector.deliver(complaint, idempotency_key=str(lease_.message_id))
    return result, sent


_clients: dict[int, httpx.AsyncClient] = {}


def _webhook_client(rt: Runtime) -> httpx.AsyncClient:
    client = _clients.get(rt.pid)
    if client is None:
        timeout = httpx.Timeout(
            rt.settings.call_timeout, connect=min(5.0, rt.settings.call_timeout)
        )
        client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        _clients[rt.pid] = client
    return client


async def _call_webhook(rt: Runtime, lease_: Lease) -> tuple[DeliveryResult, list[str]]:
    from hub.notifications.models import Subscription
    from hub.notifications.sender import send
    from hub.notifications.service import active_secrets, subscription_id_of

    if rt.fernet is None:
        raise ConfigError("no secret key configured: cannot sign webhooks")
    sub_id = subscription_id_of(lease_.target)
    with rt.factory() as session:
        msg = session.get(OutboxMessage, lease_.message_id)
        sub = session.get(Subscription, sub_id) if sub_id else None
        if msg is None or sub is None:
            raise PermanentError(f"unknown webhook subscription {lease_.target}")
        if not sub.enabled:
            raise PermanentError(f"subscription disabled: {sub.disabled_reason}")
        secrets = active_secrets(sub, rt.fernet, utcnow())
        url, payload = sub.url, dict(msg.payload)
    result = await send(
        _webhook_client(rt),
        url,
        event_id=payload["event_id"],
        body=payload["body"],
        secrets=secrets,
        max_chars=rt.settings.response_max_chars,
    )
    return result, []


def call(rt: Runtime, lease_: Lease) -> CallResult:
    started, t0 = rt.clock(), time.monotonic()
    call_ = _call_webhook if lease_.kind == MessageKind.WEBHOOK else _call_connector

    def done(outcome: AttemptOutcome, **kw: Any) -> CallResult:
        ms = int((time.monotonic() - t0) * 1000)
        return CallResult(outcome, started, ms, **kw)

    try:
        result, sent = rt.run(asyncio.wait_for(call_(rt, lease_), rt.settings.call_timeout))
    except TimeoutError as exc:
        return done(AttemptOutcome.TIMEOUT, error=exc)
    except TransientError as exc:
        outcome = AttemptOutcome.RATE_LIMITED if exc.retry_after else AttemptOutcome.TRANSIENT
        return done(outcome, error=exc, retry_after=exc.retry_after)
    except PermanentError as exc:
        return done(AttemptOutcome.PERMANENT, error=exc)
    except NotImplementedError as exc:
        return done(AttemptOutcome.PERMANENT, error=exc)
    except Exception as exc:  # a bug in a connector: retried, then dead-lettered
        log.exception("connector for %s failed unexpectedly", lease_.target)
        return done(AttemptOutcome.TRANSIENT, error=exc)
    return done(AttemptOutcome.DELIVERED, result=result, fields_sent=sent)


def _on_delivered(session: Session, msg: OutboxMessage, ref: str) -> None:
    if msg.kind == MessageKind.WEBHOOK or msg.complaint_id is None:
        return
    complaint = find_complaint(session, complaint_id=msg.complaint_id)
    if complaint is None:
        return
    target = msg.target or "?"
    complaint.external_refs = {**(complaint.external_refs or {}), target: ref}
    data = {"target": target, "external_ref": ref, "message_id": str(msg.id)}
    try:
        _, event, _ = change_status(session, complaint, Status.DISPATCHED, actor="hub", data=data)
    except IllegalTransition as exc:  # e.g. already rejected: the delivery still happened
        log.warning("complaint %s delivered but not moved to dispatched: %s", complaint.id, exc)
        event = None
    if event is None:
        append_event(session, complaint, type="complaint.delivered", actor="hub", data=data)


def _on_dead(session: Session, msg: OutboxMessage, reason: str) -> None:
    from hub.notifications.service import emit

    log.error("message %s to %s dead-lettered: %s", msg.id, msg.target, reason)
    if msg.kind == MessageKind.WEBHOOK:
        return  # no notification about a notification: that way lies a loop
    data = {"message_id": str(msg.id), "target": msg.target, "reason": reason[:500]}
    if msg.complaint_id is not None:
        complaint = find_complaint(session, complaint_id=msg.complaint_id)
        if complaint is not None:
            append_event(
                session,
                complaint,
                type="complaint.delivery_failed",
                actor="hub",
                internal_note=f"delivery to {msg.target} failed: {reason[:500]}",
                data=data,
            )
            data["complaint_id"] = str(complaint.id)
    emit(session, "delivery.dead_lettered", data, subject=str(msg.id))


def finish(rt: Runtime, lease_: Lease, res: CallResult) -> Step:
    cfg = rt.settings
    err = res.error
    status_code: int | None = getattr(err, "status_code", None)
    response: str | None = getattr(err, "response", None)
    if res.result is not None:
        status_code, response = res.result.status_code, res.result.response
    with rt.factory() as session, session.begin():
        now = rt.clock()
        row = lock_target(session, lease_.target)
        state = _breaker_state(row)
        if res.answered:
            state = breaker.success(state)
        else:
            state = breaker.failure(state, now, cfg.breaker())
            row.last_error = _truncate(f"{type(err).__name__}: {err}", 1000)
        if state != _breaker_state(row):
            _store_breaker(row, state)
        msg = session.get(OutboxMessage, lease_.message_id, with_for_update=True)
        assert msg is not None
        mine = msg.lease_token == lease_.token and msg.state == MessageState.PENDING
        attempt = DeliveryAttempt(
            message_id=msg.id,
            number=lease_.number,
            target=lease_.target,
            started_at=res.started_at,
            duration_ms=res.duration_ms,
            outcome=res.outcome,
            status_code=status_code,
            response=_truncate(response, cfg.response_max_chars),
            error_class=type(err).__name__ if err else None,
            error=_truncate(str(err) or repr(err), 2000) if err else None,
            fields_sent=res.fields_sent,
        )
        session.add(attempt)
        if not mine:
            log.warning("attempt %s of %s finished after its lease", lease_.number, msg.id)
            return Step.LEASE_LOST
        msg.leased_until, msg.lease_token = None, None
        step = _settle(rt, session, msg, attempt, res, now)
        if suspension.applies_to(lease_.target):
            step = _watch_health(rt, session, row, msg, res, step, now)
        return step


def _watch_health(
    rt: Runtime,
    session: Session,
    row: TargetState,
    msg: OutboxMessage,
    res: CallResult,
    step: Step,
    now: datetime,
) -> Step:
    """Count the failure streak; suspend the target when it says the app is gone for good."""
    suspension.record_outcome(
        row,
        delivered=step == Step.DELIVERED,
        answered=res.answered,
        dead=step == Step.DEAD,
        now=now,
    )
    if row.suspended_at is None:
        reason = suspension.should_suspend(
            row.failing_since, row.dead_streak, now, rt.settings.suspension()
        )
        if reason is not None:
            session.flush()  # this message is no longer leased: suspend() parks it too
            suspension.suspend(session, row, reason, now)
    elif step == Step.RETRY and msg.state == MessageState.PENDING:
        suspension.park(session, msg, row.suspended_reason or "")
    if msg.state == MessageState.PARKED:
        return Step.PARKED
    return step


def _settle(
    rt: Runtime,
    session: Session,
    msg: OutboxMessage,
    attempt: DeliveryAttempt,
    res: CallResult,
    now: datetime,
) -> Step:
    """Delivered, retry later, or dead-letter: the message's state after its attempt."""
    cfg = rt.settings
    err = res.error
    if res.outcome == AttemptOutcome.DELIVERED and res.result is not None:
        msg.state, msg.delivered_at = MessageState.DELIVERED, now
        msg.external_ref, msg.last_error = res.result.external_ref, None
        _on_delivered(session, msg, res.result.external_ref)
        return Step.DELIVERED
    reason = f"{type(err).__name__}: {err}"
    msg.last_error = _truncate(reason, 2000)
    if res.outcome == AttemptOutcome.PERMANENT:
        decision = rt.settings.policy().after_permanent(reason)
        _maybe_disable_subscription(session, msg, err)
    else:
        decision = cfg.policy().after_transient(msg.attempts, now, res.retry_after)
    if decision.dead:
        msg.state, msg.dead_at = MessageState.DEAD, now
        _on_dead(session, msg, reason)
        return Step.DEAD
    msg.next_attempt_at, msg.enqueued_at = decision.retry_at, None  # type: ignore[assignment]
    attempt.retry_at = decision.retry_at
    return Step.RETRY


def _maybe_disable_subscription(session: Session, msg: OutboxMessage, err: object) -> None:
    from hub.notifications.sender import EndpointGone
    from hub.notifications.service import disable_subscription, subscription_id_of

    if isinstance(err, EndpointGone) and msg.target:
        sub_id = subscription_id_of(msg.target)
        if sub_id is not None:
            disable_subscription(session, sub_id, "the endpoint answered 410 Gone")


def seconds_until_due(rt: Runtime, message_id: uuid.UUID) -> float | None:
    """How long until a pending message is due (None: it is not pending)."""
    with rt.factory() as session:
        msg = session.get(OutboxMessage, message_id)
        if msg is None or msg.state != MessageState.PENDING:
            return None
        return (msg.next_attempt_at - rt.clock()).total_seconds()


def mark_enqueued(rt: Runtime, message_id: uuid.UUID) -> None:
    """A task for it is on the broker: the sweep leaves it alone for its grace period."""
    with rt.factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == MessageState.PENDING)
            .values(enqueued_at=rt.clock())
        )


def process(rt: Runtime, message_id: uuid.UUID) -> Step:
    """Deliver one message once, if it is due and nobody else holds it."""
    step, lease_ = lease(rt, message_id)
    if lease_ is None:
        return step
    # If the call is interrupted (shutdown, SIGKILL), the lease expires and the sweep offers the
    # message again; the idempotency key makes the repeat harmless at the OPD app.
    return finish(rt, lease_, call(rt, lease_))
