"""The one wiring entry point for the hub:

components = auth.setup.build(AuthConfig(issuer=..., api_audience=..., secret_key=...),
                              sessionmaker)
components.install(app)                # provider routes, admin API, guard, problem handler
Depends(auth.guard.require("complaints:read"))   # in any hub endpoint
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from auth.admin_api import build_admin_router
from auth.config import AuthConfig
from auth.crypto import Cipher
from auth.guard import AccessTokenVerifier, Guard
from auth.models import AuthBase
from auth.problems import install_problem_handler
from auth.routes import Provider
from auth.server import HubAuthorizationServer

__all__ = ["AuthComponents", "AuthConfig", "build", "create_tables"]


@dataclass(frozen=True)
class AuthComponents:
    config: AuthConfig
    router: APIRouter  # all provider routes; mount at the issuer's path (usually the root)
    admin_router: APIRouter  # client administration; needs the hub:admin scope
    guard: Guard
    verifier: AccessTokenVerifier
    server: HubAuthorizationServer
    provider: Provider
    cipher: Cipher

    def install(self, app: FastAPI, admin_prefix: str = "/admin/sso") -> None:
        app.include_router(self.router)
        app.include_router(self.admin_router, prefix=admin_prefix)
        self.guard.install(app)
        install_problem_handler(app)


def build(config: AuthConfig, factory: sessionmaker[Session]) -> AuthComponents:
    cipher = Cipher(config.secret_key)
    server = HubAuthorizationServer(config, cipher)
    verifier = AccessTokenVerifier(config, factory)
    guard = Guard(verifier)
    provider = Provider(config, factory, server, verifier)
    return AuthComponents(
        config=config,
        router=provider.router(),
        admin_router=build_admin_router(config, factory, guard, cipher),
        guard=guard,
        verifier=verifier,
        server=server,
        provider=provider,
        cipher=cipher,
    )


def create_tables(engine: Engine) -> None:
    """For tests and the embedded default; production uses the hub's Alembic migrations."""
    AuthBase.metadata.create_all(engine)
