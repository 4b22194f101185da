"""The SSO cookie session and CSRF tokens for the HTML forms.

CSRF uses a signed double-submit cookie: the form carries HMAC(key, cookie), so a forged
form on another site cannot know the value, and a planted cookie cannot be signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.crypto import derive_key, digest, mac, random_token, same
from auth.models import BrowserSession, User

SESSION_COOKIE = "hub_sso"
CSRF_COOKIE = "hub_csrf"


@dataclass(frozen=True)
class SignedInUser:
    user: User
    auth_time: datetime
    session_id: object = None


def start_session(session: Session, user: User, now: datetime, ttl: int) -> str:
    raw = random_token(32)
    session.add(
        BrowserSession(
            session_hash=digest(raw),
            user_id=user.id,
            auth_time=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    session.flush()
    return raw


def load_session(session: Session, raw: str | None, now: datetime) -> SignedInUser | None:
    if not raw:
        return None
    row = session.scalars(
        select(BrowserSession).where(BrowserSession.session_hash == digest(raw))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return SignedInUser(user=user, auth_time=row.auth_time, session_id=row.id)


def end_session(session: Session, raw: str | None, now: datetime) -> BrowserSession | None:
    if not raw:
        return None
    row = session.scalars(
        select(BrowserSession).where(BrowserSession.session_hash == digest(raw))
    ).first()
    if row is not None and row.ended_at is None:
        row.ended_at = now
    return row


class Csrf:
    def __init__(self, secret_key: str) -> None:
        self._key = derive_key(secret_key, "auth.csrf")

    def new_cookie(self) -> str:
        return random_token(24)

    def token_for(self, cookie: str) -> str:
        return mac(self._key, cookie)

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return same(self.token_for(cookie), token)
