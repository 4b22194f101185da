"""Fixtures for the SSO tests: a small FastAPI app with the provider and one protected endpoint."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from auth import clients

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 for its TestClient; httpx is what the project pins.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from auth.audit import Actor
from auth.client_schemas import ClientCreate
from auth.guard import Principal, ensure_opd_access, require
from auth.setup import AuthComponents, AuthConfig, build, create_tables
from auth.users import create_asn, register_citizen

ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "https://hub.lampung.go.id/api"
PASSWORD = "kata-sandi-rahasia-123"
REDIRECT = "https://app.example.id/callback"
ADMIN = Actor("test:admin", "127.0.0.1")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_app(components: AuthComponents) -> FastAPI:
    app = FastAPI()
    components.install(app)

    @app.get("/v1/whoami")
    async def whoami(p: Principal | None = Depends(require("complaints:read"))) -> dict[str, Any]:
        assert p is not None
        return {"sub": p.subject, "kind": p.kind, "opd": p.opd, "client_id": p.client_id}

    @app.get("/v1/opd/{opd}/reports")
    async def opd_reports(
        opd: str, p: Principal | None = Depends(require("complaints:read"))
    ) -> dict[str, Any]:
        ensure_opd_access(p, opd)
        return {"opd": opd, "reports": []}

    @app.get("/v1/public")
    async def public(p: Principal | None = Depends(require(None))) -> dict[str, Any]:
        return {"anonymous": p is None}

    return app


@dataclass
class Env:
    config: AuthConfig
    clock: Clock
    factory: sessionmaker[Session]
    components: AuthComponents
    http: TestClient

    def session(self) -> Session:
        return self.factory()

    def citizen(self, email: str = "warga@example.id", phone: str | None = None) -> str:
        with self.factory() as s, s.begin():
            user = register_citizen(
                s,
                name="Warga Lampung",
                password=PASSWORD,
                email=email,
                phone=phone,
                now=self.clock(),
            )
            return str(user.id)

    def admin_user(self, email: str = "admin@lampungprov.go.id") -> str:
        with self.factory() as s, s.begin():
            user = create_asn(
                s,
                name="Admin",
                email=email,
                password=PASSWORD,
                opd=None,
                roles=["hub_admin"],
                actor=ADMIN,
                now=self.clock(),
            )
            return str(user.id)

    def client(self, **overrides: Any) -> tuple[str, str | None]:
        spec: dict[str, Any] = {
            "client_id": "webapp",
            "name": "Web App",
            "kind": "confidential",
            "first_party": True,
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT],
            "default_scopes": ["openid", "profile", "complaints:read"],
            "optional_scopes": ["email", "phone", "complaints:write"],
        }
        spec.update(overrides)
        with self.factory() as s, s.begin():
            client, secret = clients.create(
                s,
                ClientCreate(**spec),
                actor=ADMIN,
                now=self.clock(),
                scopes_supported=self.config.scopes_supported,
            )
            return client.client_id, secret

    def machine(self, client_id: str = "opd-dinkes", opd: str = "DINKES", **kw: Any) -> str:
        spec: dict[str, Any] = {
            "client_id": client_id,
            "kind": "confidential",
            "first_party": False,
            "grant_types": ["client_credentials"],
            "redirect_uris": [],
            "opd": opd,
            "default_scopes": ["complaints:read"],
            "optional_scopes": ["complaints:update"],
        }
        _, secret = self.client(**{**spec, **kw})
        assert secret is not None
        return secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def login(
    http: TestClient,
    identifier: str = "warga@example.id",
    password: str = PASSWORD,
    next_url: str = "",
) -> Any:
    page = http.get("/login", params={"next": next_url} if next_url else None)
    assert page.status_code == 200
    return http.post(
        "/login",
        data={
            "identifier": identifier,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_from(page.text),
        },
    )


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_params(
    client_id: str = "webapp", challenge: str = "", **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile complaints:read",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


def get_code(env: Env, client_id: str = "webapp", **extra: str) -> tuple[str, str, dict[str, str]]:
    """Signed-in browser asks for a code; returns (code, verifier, params)."""
    verifier, challenge = pkce()
    params = authorize_params(client_id, challenge, **extra)
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 302, resp.text
    got = query_of(resp.headers["location"])
    assert got["state"] == params["state"]
    return got["code"], verifier, params


def exchange(
    env: Env,
    code: str,
    verifier: str | None,
    secret: str | None,
    client_id: str = "webapp",
    **extra: str,
) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = (client_id, secret) if secret else None
    if secret is None:
        data["client_id"] = client_id
    return env.http.post("/oauth2/token", data=data, auth=auth)


def make_env(url: str, tmp_clock: Clock | None = None, **config_kw: Any) -> Iterator[Env]:
    clock = tmp_clock or Clock()
    config = AuthConfig(
        issuer=ISSUER,
        api_audience=AUDIENCE,
        secret_key="test-secret-key-0123456789",
        clock=clock,
        **config_kw,
    )
    engine: Engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _fk(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA synchronous=OFF")  # test data need not survive a crash

    create_tables(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    components = build(config, factory)
    app = make_app(components)
    with TestClient(app, base_url=ISSUER, follow_redirects=False) as http:
        yield Env(config, clock, factory, components, http)
    engine.dispose()


@pytest.fixture
def env(tmp_path: Any) -> Iterator[Env]:
    yield from make_env(f"sqlite:///{tmp_path / 'auth.sqlite3'}")


@pytest.fixture
def signed_in(env: Env) -> tuple[Env, str, str]:
    """A citizen signed in to the SSO and a confidential first-party client: (env, user, secret)."""
    user_id = env.citizen()
    _, secret = env.client()
    assert secret is not None
    assert login(env.http).status_code == 200
    return env, user_id, secret


POSTGRES_URL = os.environ.get("AUTH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny cost in tests: the algorithm is the same, the suite stays fast."""
    from argon2 import PasswordHasher

    from auth import crypto

    cheap = PasswordHasher(time_cost=1, memory_cost=1024)
    monkeypatch.setattr(crypto, "_hasher", cheap)
    monkeypatch.setattr(crypto, "_DUMMY_HASH", cheap.hash("unused"))
