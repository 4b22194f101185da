"""How a connector proves itself to an OPD app: API key header, bearer token, or OAuth2 client
credentials (token fetched once and reused until shortly before it expires).

Configured with the `AUTH_SCHEMA` fragment; every credential is a secret (`writeOnly`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.errors import AuthError, ConfigError, PermanentError, TransientError
from connectors.http import json_body, send

__all__ = ["AUTH_SCHEMA", "Authenticator", "make_authenticator"]

_SECRET = {"type": "string", "minLength": 1, "writeOnly": True}

AUTH_SCHEMA: dict[str, Any] = {
    "description": "How the hub authenticates to the OPD app.",
    "oneOf": [
        {
            "type": "object",
            "properties": {"type": {"const": "none"}},
            "required": ["type"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "api_key"},
                "header": {"type": "string", "minLength": 1, "default": "X-API-Key"},
                "key": _SECRET,
            },
            "required": ["type", "key"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"type": {"const": "bearer"}, "token": _SECRET},
            "required": ["type", "token"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "oauth2_client_credentials"},
                "token_url": {"type": "string", "pattern": "^https?://"},
                "client_id": {"type": "string", "minLength": 1},
                "client_secret": _SECRET,
                "scope": {"type": "string"},
                "client_auth": {
                    "enum": ["client_secret_basic", "client_secret_post"],
                    "default": "client_secret_basic",
                },
            },
            "required": ["type", "token_url", "client_id", "client_secret"],
            "additionalProperties": False,
        },
    ],
}

# Renew a token this many seconds before the app says it expires (clock skew, slow requests).
EXPIRY_MARGIN = 30.0


class Authenticator:
    """Adds credentials to requests; `invalidate` forgets a token the app refused."""

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {}

    def invalidate(self) -> None:
        """Forget cached credentials (a 401 with a cached token means it was revoked)."""


class _StaticHeader(Authenticator):
    def __init__(self, name: str, value: str) -> None:
        self._headers = {name: value}

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return dict(self._headers)


class OAuth2ClientCredentials(Authenticator):
    def __init__(
        self, config: Mapping[str, Any], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many tokens were fetched (observability and tests)

    def invalidate(self) -> None:
        self._token = None

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(client)}"}

    async def token(self, client: httpx.AsyncClient) -> str:
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        async with self._lock:  # one fetch even when many deliveries start at once
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            return await self._fetch(client)

    async def _fetch(self, client: httpx.AsyncClient) -> str:
        cfg = self._config
        form = {"grant_type": "client_credentials"}
        if cfg.get("scope"):
            form["scope"] = str(cfg["scope"])
        auth: httpx.BasicAuth | None = None
        if cfg.get("client_auth", "client_secret_basic") == "client_secret_post":
            form["client_id"] = cfg["client_id"]
            form["client_secret"] = cfg["client_secret"]
        else:
            auth = httpx.BasicAuth(cfg["client_id"], cfg["client_secret"])
        try:
            resp = await send(client, "POST", cfg["token_url"], data=form, auth=auth)
        except PermanentError as exc:
            # RFC 6749: invalid_client is 401, but many servers answer 400 for it.
            raise AuthError(
                f"token endpoint refused the client credentials: {exc}",
                status_code=exc.status_code,
                response=exc.response,
            ) from exc
        body = json_body(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientError("token endpoint answered without an access_token")
        expires_in = body.get("expires_in", 300)
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 300.0
        self._token = token
        self._expires_at = self._clock() + max(lifetime - EXPIRY_MARGIN, 0.0)
        self.fetches += 1
        return token


def make_authenticator(
    config: Mapping[str, Any] | None, *, clock: Callable[[], float] = time.monotonic
) -> Authenticator:
    """The authenticator for an `AUTH_SCHEMA` config (None or {"type": "none"}: no credentials)."""
    if not config or config.get("type") == "none":
        return Authenticator()
    kind = config.get("type")
    if kind == "api_key":
        return _StaticHeader(str(config.get("header", "X-API-Key")), str(config["key"]))
    if kind == "bearer":
        return _StaticHeader("Authorization", f"Bearer {config['token']}")
    if kind == "oauth2_client_credentials":
        return OAuth2ClientCredentials(config, clock=clock)
    raise ConfigError(f"unknown auth type {kind!r}")
