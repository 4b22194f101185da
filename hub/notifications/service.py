"""Subscriptions and events: create/rotate/disable, emit through the outbox, the events feed.

Secrets are shown once (returned by `create_subscription` / `rotate_secret`), then kept only as
Fernet tokens; the caller passes the Fernet (see `hub.delivery.runtime.fernet_from_secret`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.complaints.models import ComplaintEvent
from hub.db import utcnow
from hub.delivery.models import MessageKind
from hub.delivery.outbox import stage
from hub.notifications.models import Subscription
from hub.notifications.signing import generate_secret
from schemas.models import Event

__all__ = [
    "EVENT_TYPES",
    "TARGET_PREFIX",
    "active_secrets",
    "complaint_events",
    "create_subscription",
    "disable_subscription",
    "emit",
    "envelope",
    "list_subscriptions",
    "rotate_secret",
    "subscription_id_of",
]

TARGET_PREFIX = "webhook:"
SOURCE = "/hub/complaints"
EVENT_TYPES = frozenset(
    {
        "complaint.created",
        "complaint.status_changed",
        "complaint.note_added",
        "complaint.delivered",
        "complaint.overdue",
        "delivery.dead_lettered",
        "connector.suspended",
    }
)


# What a citizen-facing poller may see; operational entries (delivery failures) stay inside.
PUBLIC_EVENT_TYPES = ("complaint.created", "complaint.status_changed", "complaint.note_added")


def subscription_id_of(target: str) -> uuid.UUID | None:
    if not target.startswith(TARGET_PREFIX):
        return None
    return uuid.UUID(target.removeprefix(TARGET_PREFIX))


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"webhook URL {url!r} must be an absolute http(s) URL")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("webhook URLs must use https (http only for loopback)")
    return url


def _check_types(event_types: Sequence[str]) -> list[str]:
    types = sorted(set(event_types))
    if not types:
        raise ValueError("subscribe to at least one event type, or '*'")
    unknown = [t for t in types if t != "*" and t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or '*'")
    return types


def create_subscription(
    session: Session,
    fernet: Fernet,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None = None,
    owner: str | None = None,
) -> tuple[Subscription, str]:
    """A new subscription and its `whsec_` secret, returned once and stored encrypted."""
    secret = generate_secret()
    sub = Subscription(
        id=uuid.uuid4(),
        url=_check_url(url),
        event_types=_check_types(event_types),
        description=description,
        owner=owner,
        secret_encrypted=fernet.encrypt(secret.encode()).decode(),
        old_secrets=[],
    )
    session.add(sub)
    return sub, secret


def rotate_secret(
    session: Session,
    fernet: Fernet,
    subscription_id: uuid.UUID,
    *,
    grace: timedelta = timedelta(hours=24),
) -> str:
    """A new secret; the old one keeps signing (alongside) until `grace` has passed."""
    sub = session.get(Subscription, subscription_id, with_for_update=True)
    if sub is None:
        raise LookupError(f"no webhook subscription {subscription_id}")
    now = utcnow()
    kept = [s for s in sub.old_secrets if datetime.fromisoformat(s["expires_at"]) > now]
    kept.append({"secret": sub.secret_encrypted, "expires_at": (now + grace).isoformat()})
    secret = generate_secret()
    sub.old_secrets = kept
    sub.secret_encrypted = fernet.encrypt(secret.encode()).decode()
    return secret


def active_secrets(sub: Subscription, fernet: Fernet, now: datetime) -> list[str]:
    found = [fernet.decrypt(sub.secret_encrypted.encode()).decode()]
    for old in sub.old_secrets:
        if datetime.fromisoformat(old["expires_at"]) > now:
            found.append(fernet.decrypt(old["secret"].encode()).decode())
    return found


def disable_subscription(session: Session, subscription_id: uuid.UUID, reason: str) -> None:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise LookupError(f"no webhook subscription {subscription_id}")
    sub.enabled, sub.disabled_reason = False, reason


def list_subscriptions(session: Session, owner: str | None = None) -> list[Subscription]:
    stmt = select(Subscription).order_by(Subscription.created_at)
    if owner is not None:
        stmt = stmt.where(Subscription.owner == owner)
    return list(session.scalars(stmt))


def envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    subject: str | None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """A CloudEvents-compatible envelope, validated by the pydantic mirror of the schema."""
    event = Event(
        id=event_id or f"evt_{uuid.uuid4().hex}",
        source=SOURCE,
        type=event_type,
        subject=subject,
        time=time or utcnow(),
        data=data,
    )
    return event.model_dump(mode="json")


def emit(
    session: Session, event_type: str, data: dict[str, Any], *, subject: str | None = None
) -> list[uuid.UUID]:
    """Stage one webhook message per enabled subscription to `event_type` (same transaction)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    subs = [
        s
        for s in session.scalars(select(Subscription).where(Subscription.enabled.is_(True)))
        if "*" in s.event_types or event_type in s.event_types
    ]
    if not subs:
        return []
    env = envelope(event_type, data, subject=subject)
    body = json.dumps(env, separators=(",", ":"), ensure_ascii=False)  # bytes fixed once
    complaint_id = data.get("complaint_id")
    ids = []
    for sub in subs:
        message = stage(
            session,
            kind=MessageKind.WEBHOOK,
            payload={"event_id": env["id"], "event_type": event_type, "body": body},
            target=f"{TARGET_PREFIX}{sub.id}",
            complaint_id=uuid.UUID(complaint_id) if complaint_id else None,
        )
        ids.append(message.id)
    return ids


def complaint_events(
    session: Session, complaint_id: uuid.UUID, *, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """The public timeline as event envelopes, for `GET /v1/complaints/{id}/events` pollers.

    Internal notes, internal data and operational entries stay out; `after` is the last `seq`
    the poller saw (the envelope id is `<complaint_id>:<seq>`).
    """
    rows = session.scalars(
        select(ComplaintEvent)
        .where(
            ComplaintEvent.complaint_id == complaint_id,
            ComplaintEvent.seq > after,
            ComplaintEvent.type.in_(PUBLIC_EVENT_TYPES),
            (ComplaintEvent.type != "complaint.note_added") | ComplaintEvent.note.is_not(None),
        )
        .order_by(ComplaintEvent.seq)
        .limit(min(max(limit, 1), 1000))
    )
    out = []
    for row in rows:
        data: dict[str, Any] = {"complaint_id": str(complaint_id), "seq": row.seq}
        if row.status:
            data["status"] = row.status
        if row.note:
            data["note"] = row.note
        if row.actor:
            data["actor"] = row.actor
        out.append(
            envelope(
                row.type,
                data,
                subject=None,
                event_id=f"{complaint_id}:{row.seq}",
                time=row.occurred_at,
            )
        )
    return out
