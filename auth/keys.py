"""Signing keys: one active key signs, passive keys stay in the JWKS until their overlap ends.

Rotation makes a new active key and demotes the old one to passive with `retire_after` set,
so tokens it signed keep verifying until they have expired everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.crypto import Cipher, random_token
from auth.models import SigningKey

ALG = "RS256"


def _new_key(cipher: Cipher, now: datetime) -> SigningKey:
    kid = random_token(12)
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALG})
    public = dict(key.as_dict(private=False))
    return SigningKey(
        kid=kid,
        alg=ALG,
        public_jwk=public,
        private_key_encrypted=cipher.encrypt(key.as_pem(private=True)),
        status="active",
        created_at=now,
    )


def published_keys(session: Session, now: datetime) -> list[SigningKey]:
    """Active and passive keys whose overlap has not ended, newest first."""
    rows = session.scalars(
        select(SigningKey)
        .where(SigningKey.status.in_(("active", "passive")))
        .order_by(SigningKey.created_at.desc())
    ).all()
    return [r for r in rows if r.retire_after is None or r.retire_after > now]


def active_key(session: Session, cipher: Cipher, now: datetime) -> tuple[str, RSAKey]:
    """The signing key (kid, private key); the first call on an empty database creates one."""
    row = session.scalars(
        select(SigningKey)
        .where(SigningKey.status == "active")
        .order_by(SigningKey.created_at.desc())
    ).first()
    if row is None:
        row = _new_key(cipher, now)
        session.add(row)
        session.flush()
    pem = cipher.decrypt(row.private_key_encrypted)
    return row.kid, RSAKey.import_key(pem, parameters={"kid": row.kid, "alg": ALG})


def rotate(session: Session, cipher: Cipher, now: datetime, overlap_seconds: int) -> SigningKey:
    """New active key; the previous active ones become passive for `overlap_seconds`."""
    for row in session.scalars(select(SigningKey).where(SigningKey.status == "active")):
        row.status = "passive"
        row.retire_after = now + timedelta(seconds=overlap_seconds)
    for row in session.scalars(select(SigningKey).where(SigningKey.status == "passive")):
        if row.retire_after is not None and row.retire_after <= now:
            row.status = "retired"
    new = _new_key(cipher, now)
    session.add(new)
    session.flush()
    return new


def jwks(session: Session, now: datetime) -> dict[str, Any]:
    return {"keys": [dict(r.public_jwk) for r in published_keys(session, now)]}


def public_keyset(session: Session, now: datetime) -> KeySet:
    published = jwks(session, now)
    if not published["keys"]:
        return KeySet([])
    return KeySet.import_key_set(published)  # type: ignore[arg-type]
