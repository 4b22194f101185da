"""Issuing and checking Open311 API keys: shown once, kept only as a SHA-256 digest.

Keys are 256-bit random tokens, so a fast unsalted hash is enough (nothing to brute-force) and
lets us find a key by its digest with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.open311.models import Open311ApiKey
from schemas.models import Channel

PREFIX = "o311_"


@dataclass(frozen=True)
class IssuedKey:
    id: int
    name: str
    channel: str
    key: str  # the plaintext: shown to the admin once, never stored


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(session: Session, name: str, *, channel: str = Channel.OPEN311.value) -> IssuedKey:
    name = name.strip()
    if not name:
        raise ValueError("an API key needs a name saying who holds it")
    if channel not in {c.value for c in Channel}:
        choices = ", ".join(c.value for c in Channel)
        raise ValueError(f"unknown channel {channel!r}; one of {choices}")
    key = PREFIX + secrets.token_urlsafe(32)
    row = Open311ApiKey(name=name, key_hash=digest(key), prefix=key[:12], channel=channel)
    session.add(row)
    session.flush()
    return IssuedKey(row.id, row.name, row.channel, key)


def verify(session: Session, key: str | None) -> Open311ApiKey | None:
    """The active key row for this api_key, or None."""
    if not key:
        return None
    wanted = digest(key)
    row = session.scalars(select(Open311ApiKey).where(Open311ApiKey.key_hash == wanted)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, wanted):
        return None
    row.last_used_at = utcnow()
    return row


def revoke(session: Session, key_id: int) -> bool:
    row = session.get(Open311ApiKey, key_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return True


def listing(session: Session) -> list[Open311ApiKey]:
    return list(session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id)))
