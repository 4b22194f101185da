"""The hub's single sign-on: its configuration from the hub's settings, and first-run bootstrap."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from auth.bootstrap import ensure_admin, ensure_client, superapp_client
from auth.setup import AuthConfig
from hub.access import API_SCOPES
from hub.crypto import master_key
from hub.db import transaction
from hub.settings import Settings


def sso_config(settings: Settings) -> AuthConfig:
    return AuthConfig(
        issuer=settings.public_url.rstrip("/"),
        api_audience=settings.api_audience,
        secret_key=master_key(settings),
        api_scopes=API_SCOPES,
    )


def bootstrap(settings: Settings, factory: sessionmaker[Session]) -> list[str]:
    """The first admin and the super-app's public client; lines worth printing once."""
    config = sso_config(settings)
    lines: list[str] = []
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    with transaction(factory) as session:
        admin = ensure_admin(session, config, email=settings.admin_email, password=password)
        client_id, _ = ensure_client(
            session, config, superapp_client(list(settings.superapp_redirect_uris))
        )
    if admin.created and admin.one_time_password:
        lines.append(
            f"  first admin   {settings.admin_email} / one-time password "
            f"{admin.one_time_password} (shown once: change it)"
        )
    elif admin.created:
        lines.append(f"  first admin   {settings.admin_email} (password from HUB_ADMIN_PASSWORD)")
    lines.append(f"  SSO           {config.issuer}/.well-known/openid-configuration")
    lines.append(f"  super-app     public client {client_id!r} (authorization code + PKCE)")
    return lines
