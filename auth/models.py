"""The SSO's own tables (prefix `auth_`), on their own metadata so auth never depends on hub.

Secrets are never stored in the clear: passwords as argon2id hashes, client secrets, codes,
refresh tokens and browser sessions as SHA-256 digests of high-entropy random values, signing
keys encrypted with the caller's key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from auth.dbtypes import GUID, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")

USER_KINDS = ("citizen", "asn")
ROLES = ("opd_staff", "opd_admin", "hub_admin")
CLIENT_KINDS = ("public", "confidential")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
KEY_STATES = ("active", "passive", "retired")


class AuthBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(AuthBase):
    """A citizen (self-registered) or a civil servant (ASN) belonging to an OPD."""

    __tablename__ = "auth_users"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16), default="citizen")
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    opd: Mapped[str | None] = mapped_column(String(64), index=True)
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Client(AuthBase):
    """A relying party or machine client, administered like a Keycloak client."""

    __tablename__ = "auth_clients"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    redirect_uris: Mapped[list[str]] = mapped_column(JSONType, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSONType, default=list)
    default_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    optional_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opd: Mapped[str | None] = mapped_column(String(64), index=True)
    access_token_ttl: Mapped[int | None] = mapped_column(Integer)
    refresh_token_ttl: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    secrets: Mapped[list[ClientSecret]] = relationship(
        back_populates="client",
        cascade="all, delete-orphan",
        order_by="ClientSecret.created_at.desc()",
        lazy="selectin",
    )

    @property
    def allowed_scopes(self) -> list[str]:
        return list(dict.fromkeys([*self.default_scopes, *self.optional_scopes]))


class ClientSecret(AuthBase):
    """One of at most two live secrets; the older one carries a grace expiry during rotation."""

    __tablename__ = "auth_client_secrets"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    client_pk: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_clients.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship(back_populates="secrets")


class AuthorizationCode(AuthBase):
    """Single-use, short-lived; kept after use so a replay can be detected and punished."""

    __tablename__ = "auth_codes"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_users.id", ondelete="CASCADE")
    )
    redirect_uri: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8), default="S256")
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    family_id: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(AuthBase):
    """A rotated chain shares one family id; presenting a rotated token revokes the family."""

    __tablename__ = "auth_refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_users.id", ondelete="CASCADE")
    )
    scope: Mapped[str] = mapped_column(Text, default="")
    family_id: Mapped[uuid.UUID] = mapped_column(GUID, index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    auth_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccessTokenRecord(AuthBase):
    """The jti of every issued JWT access token, so revocation and introspection are possible."""

    __tablename__ = "auth_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    family_id: Mapped[uuid.UUID | None] = mapped_column(GUID, index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SigningKey(AuthBase):
    """An RS256 key: `active` signs, `passive` is still published so old tokens verify."""

    __tablename__ = "auth_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16), default="RS256")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retire_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsentGrant(AuthBase):
    """Scopes a user has granted to a third-party client, so the consent page is shown once."""

    __tablename__ = "auth_consents"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_users.id", ondelete="CASCADE")
    )
    client_id: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(AuthBase):
    """Every password check, for rate limits and lockout (identifier is normalised)."""

    __tablename__ = "auth_login_attempts"
    __table_args__ = (
        Index("ix_auth_login_attempts_identifier_at", "identifier", "at"),
        Index("ix_auth_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class BrowserSession(AuthBase):
    """The signed-in state behind the SSO cookie; server-side so logout really ends it."""

    __tablename__ = "auth_browser_sessions"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_users.id", ondelete="CASCADE")
    )
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(AuthBase):
    """Append-only: who did what, when, from where. Updates and deletes are refused."""

    __tablename__ = "auth_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AppendOnlyError("the audit log is append-only")
