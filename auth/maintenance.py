"""Housekeeping for a periodic job (e.g. a Celery beat task in the hub): drop dead rows.

Expired codes, tokens and sessions are kept for a retention window first, so a replayed code or
refresh token is still recognised (and punished) for a while after it expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from auth.models import (
    AccessTokenRecord,
    AuthorizationCode,
    BrowserSession,
    LoginAttempt,
    RefreshToken,
)


def purge_expired(
    session: Session, now: datetime, retention: timedelta = timedelta(days=7)
) -> dict[str, int]:
    """Delete rows that expired more than `retention` ago; returns counts per table."""
    cutoff = now - retention
    counts: dict[str, int] = {}
    for name, model, column in (
        ("codes", AuthorizationCode, AuthorizationCode.expires_at),
        ("refresh_tokens", RefreshToken, RefreshToken.expires_at),
        ("access_tokens", AccessTokenRecord, AccessTokenRecord.expires_at),
        ("browser_sessions", BrowserSession, BrowserSession.expires_at),
        ("login_attempts", LoginAttempt, LoginAttempt.at),
    ):
        result = session.execute(delete(model).where(column < cutoff))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
