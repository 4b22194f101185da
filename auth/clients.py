"""Client administration (create, rotate secret, update, disable, delete), every action audited.

Redirect URIs match exactly, with one exception from RFC 8252: a registered loopback URI
(http://127.0.0.1/cb) accepts any port, because native apps listen on an ephemeral port.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from auth.audit import Actor, record
from auth.client_schemas import ClientCreate, ClientPublic, ClientUpdate, SecretInfo
from auth.config import is_loopback_host
from auth.crypto import digest, random_token, same
from auth.models import AccessTokenRecord, Client, ClientSecret, RefreshToken

SECRET_BYTES = 36  # 48 url-safe characters


class ClientError(ValueError):
    """Invalid client definition or request; the message says what to fix."""


class ClientNotFound(LookupError):
    pass


def validate_redirect_uri(uri: str, *, public: bool) -> None:
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ClientError(f"redirect URI must not contain a fragment: {uri}")
    if "*" in uri:
        raise ClientError(f"wildcards are not allowed in redirect URIs: {uri}")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return
    if public and parts.scheme and "." in parts.scheme and parts.scheme not in ("http", "https"):
        return  # private-use scheme of a native app, e.g. id.go.lampung.app:/callback
    raise ClientError(
        f"redirect URI must be https, http on loopback, or (native apps) a reverse-domain "
        f"scheme: {uri}"
    )


def redirect_uri_matches(registered: list[str], uri: str) -> bool:
    if uri in registered:
        return True
    parts = urlsplit(uri)
    if parts.scheme != "http" or not is_loopback_host(parts.hostname):
        return False
    for reg in registered:
        rp = urlsplit(reg)
        if (
            rp.scheme == "http"
            and rp.hostname == parts.hostname
            and rp.path == parts.path
            and rp.query == parts.query
        ):
            return True
    return False


def _check(definition: ClientCreate | Client, scopes_supported: list[str]) -> None:
    kind = definition.kind
    grants = set(definition.grant_types)
    if kind == "public" and "client_credentials" in grants:
        raise ClientError("a public client cannot use client_credentials (it has no secret)")
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise ClientError("refresh_token needs authorization_code")
    if "authorization_code" in grants and not definition.redirect_uris:
        raise ClientError("authorization_code needs at least one redirect URI")
    for uri in [*definition.redirect_uris, *definition.post_logout_redirect_uris]:
        validate_redirect_uri(uri, public=kind == "public")
    unknown = set(definition.default_scopes) | set(definition.optional_scopes)
    unknown -= set(scopes_supported)
    if unknown:
        raise ClientError(f"unknown scopes {sorted(unknown)}; supported: {scopes_supported}")


def _new_secret(client: Client, now: datetime) -> str:
    secret = random_token(SECRET_BYTES)
    client.secrets.insert(
        0,
        ClientSecret(secret_hash=digest(secret), hint=secret[:4], created_at=now, expires_at=None),
    )
    return secret


def secret_matches(client: Client, secret: str, now: datetime) -> bool:
    """True if `secret` is one of the client's live secrets (the old one only in its grace)."""
    candidate = digest(secret)
    ok = False
    for stored in client.secrets:
        if stored.expires_at is not None and stored.expires_at <= now:
            continue
        ok = same(stored.secret_hash, candidate) or ok
    return ok


def to_public(client: Client, now: datetime) -> ClientPublic:
    fields = {
        name: getattr(client, name) for name in ClientPublic.model_fields if name != "secrets"
    }
    public = ClientPublic(**fields)
    public.secrets = [
        SecretInfo(hint=s.hint + "…", created_at=s.created_at, expires_at=s.expires_at)
        for s in client.secrets
        if s.expires_at is None or s.expires_at > now
    ]
    return public


def get(session: Session, client_id: str) -> Client:
    client = session.scalars(select(Client).where(Client.client_id == client_id)).first()
    if client is None:
        raise ClientNotFound(f"no client {client_id!r}")
    return client


def list_clients(session: Session, opd: str | None = None) -> list[Client]:
    query = select(Client).order_by(Client.client_id)
    if opd:
        query = query.where(Client.opd == opd)
    return list(session.scalars(query))


def create(
    session: Session,
    spec: ClientCreate,
    *,
    actor: Actor,
    now: datetime,
    scopes_supported: list[str],
) -> tuple[Client, str | None]:
    """Returns the client and its secret (confidential clients only); show the secret once."""
    _check(spec, scopes_supported)
    client_id = spec.client_id or f"c-{random_token(12).lower().replace('_', '-')}"
    if session.scalars(select(Client).where(Client.client_id == client_id)).first():
        raise ClientError(f"client id {client_id!r} is taken")
    client = Client(
        client_id=client_id,
        created_at=now,
        updated_at=now,
        **spec.model_dump(exclude={"client_id"}),
    )
    client.secrets = []
    session.add(client)
    secret = _new_secret(client, now) if spec.kind == "confidential" else None
    session.flush()
    record(
        session,
        actor,
        "client.created",
        client_id,
        now,
        kind=spec.kind,
        grant_types=list(spec.grant_types),
        redirect_uris=spec.redirect_uris,
        scopes=[*spec.default_scopes, *spec.optional_scopes],
        opd=spec.opd,
    )
    return client, secret


def update(
    session: Session,
    client_id: str,
    changes: ClientUpdate,
    *,
    actor: Actor,
    now: datetime,
    scopes_supported: list[str],
) -> Client:
    client = get(session, client_id)
    values = changes.model_dump(exclude_unset=True)
    before = {k: getattr(client, k) for k in values}
    for key, value in values.items():
        setattr(client, key, value)
    _check(client, scopes_supported)
    client.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "client.updated",
        client_id,
        now,
        before={k: v for k, v in before.items()},
        after=values,
    )
    return client


def rotate_secret(
    session: Session, client_id: str, *, grace_seconds: int, actor: Actor, now: datetime
) -> str:
    """New secret; the newest old one stays valid for `grace_seconds`, older ones die now."""
    client = get(session, client_id)
    if client.kind != "confidential":
        raise ClientError("only confidential clients have secrets")
    live = [s for s in client.secrets if s.expires_at is None or s.expires_at > now]
    for i, old in enumerate(live):
        until = now + timedelta(seconds=grace_seconds) if i == 0 else now
        old.expires_at = min(old.expires_at, until) if old.expires_at else until
    for dead in [s for s in client.secrets if s.expires_at is not None and s.expires_at <= now]:
        client.secrets.remove(dead)
    secret = _new_secret(client, now)
    client.updated_at = now
    session.flush()
    record(session, actor, "client.secret_rotated", client_id, now, grace_seconds=grace_seconds)
    return secret


def revoke_client_tokens(session: Session, client_id: str, now: datetime) -> None:
    """A disabled or deleted client's tokens stop working at once, not at their expiry."""
    session.execute(
        sql_update(AccessTokenRecord)
        .where(AccessTokenRecord.client_id == client_id, AccessTokenRecord.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        sql_update(RefreshToken)
        .where(RefreshToken.client_id == client_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def set_disabled(
    session: Session, client_id: str, disabled: bool, *, actor: Actor, now: datetime
) -> Client:
    client = get(session, client_id)
    client.disabled = disabled
    client.updated_at = now
    if disabled:
        revoke_client_tokens(session, client_id, now)
    session.flush()
    record(session, actor, "client.disabled" if disabled else "client.enabled", client_id, now)
    return client


def delete(session: Session, client_id: str, *, actor: Actor, now: datetime) -> None:
    client = get(session, client_id)
    revoke_client_tokens(session, client_id, now)
    session.delete(client)
    session.flush()
    record(session, actor, "client.deleted", client_id, now)
