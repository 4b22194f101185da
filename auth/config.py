"""The SSO's configuration: one frozen object the hub builds from its own settings."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from auth.dbtypes import utcnow

OIDC_SCOPES = ("openid", "profile", "email", "phone", "offline_access")
ADMIN_SCOPE = "hub:admin"
INTROSPECT_SCOPE = "auth:introspect"
DEFAULT_API_SCOPES = (
    "complaints:read",
    "complaints:write",
    "complaints:update",
    "connectors:read",
    "connectors:write",
    "services:call",
    "webhooks:manage",
    INTROSPECT_SCOPE,
    ADMIN_SCOPE,
)


def is_loopback_host(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AuthConfig:
    """Issuer URL (where the provider routes are mounted), API audience and the secret key.

    `secret_key` is any long random string (e.g. the hub's HUB_SECRET_KEY); the at-rest cipher
    and the CSRF key are derived from it. `clock` exists so tests can move time.
    """

    issuer: str
    api_audience: str
    secret_key: str
    access_token_ttl: int = 600
    id_token_ttl: int = 600
    refresh_token_ttl: int = 30 * 24 * 3600
    code_ttl: int = 60
    session_ttl: int = 12 * 3600
    key_overlap: int = 24 * 3600
    secret_grace: int = 24 * 3600
    login_max_failures: int = 5
    lockout_seconds: int = 15 * 60
    ip_rate_limit: int = 30
    ip_rate_window: int = 5 * 60
    api_scopes: tuple[str, ...] = DEFAULT_API_SCOPES
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.query or parts.fragment or not parts.hostname:
            raise ValueError(f"issuer must be a plain URL, got {self.issuer!r}")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and is_loopback_host(parts.hostname)
        ):
            raise ValueError("issuer must use https (plain http only on loopback)")
        if self.issuer.endswith("/"):
            raise ValueError("issuer must not end with '/'")
        if not self.api_audience:
            raise ValueError("api_audience is required")
        if len(self.secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        for ttl in (self.access_token_ttl, self.code_ttl, self.refresh_token_ttl):
            if ttl <= 0:
                raise ValueError("token lifetimes must be positive")

    @property
    def scopes_supported(self) -> list[str]:
        return list(dict.fromkeys([*OIDC_SCOPES, *self.api_scopes]))

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    def url(self, path: str) -> str:
        return self.issuer + path
