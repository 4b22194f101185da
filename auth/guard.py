"""Bearer-token checks for resource endpoints: who is calling, and may they use this scope.

    principal: Principal | None = Depends(require(None))       # anonymous allowed
    principal: Principal = Depends(require("complaints:read"))  # token with that scope

401 (missing, invalid, expired, revoked token) and 403 (`insufficient_scope`) carry
`WWW-Authenticate: Bearer ...` (RFC 6750) and a problem+json body (RFC 9457).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from auth import keys
from auth.config import ADMIN_SCOPE, AuthConfig
from auth.models import AccessTokenRecord
from auth.problems import AuthProblem
from auth.tokens import AT_TYP, InvalidTokenError, verify

REALM = "lampung-in-hub"


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: Literal["user", "client"]
    opd: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    client_id: str
    token_id: str
    expires_at: int

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    def may_access_opd(self, opd: str | None) -> bool:
        """Tenant isolation: an OPD's staff and connector clients see only their own OPD's
        data; hub admins see everything."""
        if self.is_admin:
            return True
        return opd is not None and self.opd is not None and self.opd == opd


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    kind: Literal["user", "client"] = "client" if claims.get("kind") == "client" else "user"
    return Principal(
        subject=str(claims["sub"]),
        kind=kind,
        opd=claims.get("opd"),
        roles=frozenset(claims.get("roles") or ()),
        scopes=frozenset(str(claims.get("scope") or "").split()),
        client_id=str(claims.get("client_id")),
        token_id=str(claims.get("jti")),
        expires_at=int(claims["exp"]),
    )


class AccessTokenVerifier:
    """Verifies our RFC 9068 access tokens: signature (JWKS), typ, iss, aud, exp, revocation."""

    def __init__(self, config: AuthConfig, factory: sessionmaker[Session]) -> None:
        self.config = config
        self.factory = factory

    def verify(self, token: str) -> Principal:
        now: datetime = self.config.clock()
        with self.factory() as session:
            keyset = keys.public_keyset(session, now)
            if not keyset.keys:
                raise InvalidTokenError("no signing keys")
            claims = verify(
                token,
                keyset,
                issuer=self.config.issuer,
                audience=self.config.api_audience,
                now=int(now.timestamp()),
                typ=AT_TYP,
            )
            if "sub" not in claims or "jti" not in claims or "client_id" not in claims:
                raise InvalidTokenError("missing required claims")
            stored = session.get(AccessTokenRecord, str(claims["jti"]))
            if stored is None or stored.revoked_at is not None:
                raise InvalidTokenError("token revoked")
        return principal_from_claims(claims)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized("malformed Authorization header; expected 'Bearer <token>'")
    return value.strip()


def unauthorized(detail: str, error: str | None = "invalid_token") -> AuthProblem:
    challenge = f'Bearer realm="{REALM}"'
    detail = detail.replace('"', "'").replace("\\", "/")
    if error:
        challenge += f', error="{error}", error_description="{detail}"'
    return AuthProblem(
        401,
        "unauthorized",
        "Tidak terautentikasi / Unauthenticated",
        detail,
        headers={"WWW-Authenticate": challenge},
    )


def forbidden(scope: str) -> AuthProblem:
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
    return AuthProblem(
        403,
        "insufficient_scope",
        "Akses ditolak / Forbidden",
        f"this endpoint needs the scope '{scope}'",
        headers={"WWW-Authenticate": challenge},
        required_scope=scope,
    )


def ensure_opd_access(principal: Principal | None, opd: str | None) -> None:
    """Raise 403 (problem+json) unless the caller may see data routed to `opd`."""
    if principal is None:
        raise unauthorized("a bearer token is required", error=None)
    if not principal.may_access_opd(opd):
        raise AuthProblem(
            403,
            "forbidden-tenant",
            "Akses ditolak / Forbidden",
            "this resource belongs to another OPD",
        )


Dependency = Callable[[Request], Awaitable[Principal | None]]


class Guard:
    def __init__(self, verifier: AccessTokenVerifier) -> None:
        self.verifier = verifier

    async def authenticate(self, request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            return None
        try:
            return await run_in_threadpool(self.verifier.verify, token)
        except InvalidTokenError as exc:
            raise unauthorized(str(exc)) from exc

    def require(self, scope: str | None = None) -> Dependency:
        """A dependency for one endpoint; `None` means anonymous callers are welcome too."""

        async def dependency(request: Request) -> Principal | None:
            principal = await self.authenticate(request)
            if scope is None:
                return principal
            if principal is None:
                raise unauthorized("a bearer token is required", error=None)
            if scope not in principal.scopes:
                raise forbidden(scope)
            return principal

        dependency.__name__ = f"require_{scope or 'anonymous'}".replace(":", "_")
        return dependency

    def install(self, app: FastAPI) -> None:
        app.state.auth_guard = self


def require(scope: str | None = None) -> Dependency:
    """Like `Guard.require`, finding the guard on `app.state.auth_guard` at request time."""

    async def dependency(request: Request) -> Principal | None:
        guard: Guard | None = getattr(request.app.state, "auth_guard", None)
        if guard is None:
            raise RuntimeError("auth guard not installed: call AuthComponents.install(app)")
        return await guard.require(scope)(request)

    return dependency
