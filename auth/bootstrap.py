"""First-start helpers for `hub up` / `hub demo`: the first admin and well-known clients."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import clients
from auth.audit import Actor
from auth.client_schemas import ClientCreate
from auth.config import AuthConfig
from auth.crypto import random_token
from auth.models import User
from auth.users import create_asn, normalise_email

BOOTSTRAP = Actor("system:bootstrap")


@dataclass(frozen=True)
class AdminResult:
    user: User
    created: bool
    one_time_password: str | None  # print it once when set; None if given or already existed


def ensure_admin(
    session: Session,
    config: AuthConfig,
    *,
    email: str,
    name: str = "Administrator Hub",
    password: str | None = None,
) -> AdminResult:
    """Create the first hub_admin unless that e-mail exists (pass the password from an env var,
    or get a generated one-time password that must be changed)."""
    existing = session.scalars(select(User).where(User.email == normalise_email(email))).first()
    if existing is not None:
        return AdminResult(existing, False, None)
    generated = password is None
    secret = password if password is not None else random_token(15)
    user = create_asn(
        session,
        name=name,
        email=email,
        password=secret,
        opd=None,
        roles=["hub_admin"],
        actor=BOOTSTRAP,
        now=config.clock(),
        must_change_password=generated,
    )
    return AdminResult(user, True, secret if generated else None)


def ensure_client(
    session: Session, config: AuthConfig, spec: ClientCreate
) -> tuple[str, str | None]:
    """Create the client if its id is free; returns (client_id, secret shown once or None)."""
    if spec.client_id is None:
        raise ValueError("ensure_client needs a fixed client_id")
    try:
        clients.get(session, spec.client_id)
        return spec.client_id, None
    except clients.ClientNotFound:
        pass
    client, secret = clients.create(
        session,
        spec,
        actor=BOOTSTRAP,
        now=config.clock(),
        scopes_supported=config.scopes_supported,
    )
    return client.client_id, secret


def superapp_client(redirect_uris: list[str]) -> ClientCreate:
    """The super-app: a first-party public client (PKCE, no secret), refresh allowed."""
    return ClientCreate(
        client_id="lampung-in-superapp",
        name="Lampung-In",
        kind="public",
        first_party=True,
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=redirect_uris,
        default_scopes=[
            "openid",
            "profile",
            "complaints:read",
            "complaints:write",
            "services:call",
        ],
        optional_scopes=["email", "phone", "offline_access"],
    )


def opd_connector_client(opd: str) -> ClientCreate:
    """A machine client for one OPD's app or connector (client credentials)."""
    return ClientCreate(
        client_id=f"opd-{opd.lower()}",
        name=f"Aplikasi OPD {opd}",
        kind="confidential",
        grant_types=["client_credentials"],
        default_scopes=["complaints:read", "complaints:update"],
        opd=opd,
    )
