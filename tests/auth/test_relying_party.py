"""Acceptance: a relying party nobody here wrote (authlib's httpx OAuth2Client) against a real
uvicorn server: discovery, authorization code + PKCE, refresh, userinfo, client credentials."""

from __future__ import annotations

import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn
from authlib.common.security import generate_token
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from auth.bootstrap import ensure_client, opd_connector_client, superapp_client
from auth.setup import AuthConfig, build, create_tables
from auth.users import register_citizen
from tests.auth.conftest import AUDIENCE, PASSWORD, make_app

with warnings.catch_warnings():
    # authlib nudges towards httpx2; the project pins httpx, which authlib still supports.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

SUPERAPP_REDIRECT = "id.go.lampungprov.superapp:/oauth2redirect"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # wait for the listening socket, bounded
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(tmp_path: Any) -> Iterator[dict[str, Any]]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = AuthConfig(
        issuer=issuer, api_audience=AUDIENCE, secret_key="live-test-secret-key-0123456789"
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    create_tables(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        ensure_client(s, config, superapp_client([SUPERAPP_REDIRECT]))
        _, machine_secret = ensure_client(s, config, opd_connector_client("DINKES"))
        register_citizen(
            s, name="Rina Wati", email="rina@example.id", password=PASSWORD, now=config.clock()
        )
    app = make_app(build(config, factory))
    with LiveServer(app, port):
        yield {"issuer": issuer, "machine_secret": machine_secret}
    engine.dispose()


def browser_signs_in(authorization_url: str) -> str:
    """A user agent: follows the SSO's redirects, fills in the login form, returns the
    final redirect to the app (never followed: it is the app's custom scheme)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        resp = browser.get(authorization_url)
        assert resp.status_code == 303
        login_url = urljoin(authorization_url, resp.headers["location"])
        page = browser.get(login_url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        next_field = re.search(r'name="next" value="([^"]*)"', page.text)
        assert csrf and next_field
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action
        posted = browser.post(
            urljoin(login_url, action.group(1)),
            data={
                "identifier": "rina@example.id",
                "password": PASSWORD,
                "csrf_token": csrf.group(1),
                "next": next_field.group(1).replace("&amp;", "&"),
            },
        )
        assert posted.status_code == 303, posted.text
        back = browser.get(urljoin(login_url, posted.headers["location"]))
        assert back.status_code == 302, back.text
        location: str = back.headers["location"]
        return location


def test_superapp_relying_party_full_flow(live: dict[str, Any]) -> None:
    issuer = live["issuer"]
    meta = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert meta["issuer"] == issuer
    keyset = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())

    with OAuth2Client(
        client_id="lampung-in-superapp",
        scope="openid profile email complaints:read",
        redirect_uri=SUPERAPP_REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as rp:
        verifier = generate_token(64)
        nonce = generate_token(16)
        url, state = rp.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = browser_signs_in(url)
        assert callback.startswith(SUPERAPP_REDIRECT + "?")
        token = rp.fetch_token(
            meta["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
        )
        assert token["token_type"] == "Bearer"

        id_token = jwt.decode(token["id_token"], keyset, algorithms=["RS256"])
        claims = id_token.claims
        assert claims["iss"] == issuer
        assert claims["aud"] == ["lampung-in-superapp"]
        assert claims["nonce"] == nonce
        assert claims["at_hash"] == create_half_hash(token["access_token"], "RS256").decode()
        access = jwt.decode(token["access_token"], keyset, algorithms=["RS256"])
        assert access.header["typ"] == "at+jwt"
        assert access.claims["aud"] == AUDIENCE

        info = rp.get(meta["userinfo_endpoint"]).json()
        assert info == {
            "sub": claims["sub"],
            "name": "Rina Wati",
            "email": "rina@example.id",
            "email_verified": False,
            "updated_at": info["updated_at"],
            "user_kind": "citizen",
        }
        assert rp.post(meta["userinfo_endpoint"]).json()["sub"] == claims["sub"]

        old_refresh = token["refresh_token"]
        renewed = rp.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
        assert renewed["refresh_token"] != old_refresh
        assert renewed["access_token"] != token["access_token"]
        assert rp.get(meta["userinfo_endpoint"]).json()["sub"] == claims["sub"]
        api = rp.get(f"{issuer}/v1/whoami").json()
        assert api["sub"] == claims["sub"] and api["client_id"] == "lampung-in-superapp"


def test_client_credentials_token_verifies_against_jwks(live: dict[str, Any]) -> None:
    issuer = live["issuer"]
    meta = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    for method in ("client_secret_basic", "client_secret_post"):
        with OAuth2Client(
            client_id="opd-dinkes",
            client_secret=live["machine_secret"],
            token_endpoint_auth_method=method,
        ) as machine:
            check_machine_token(machine, meta, issuer)


def check_machine_token(machine: Any, meta: dict[str, Any], issuer: str) -> None:
    """What an OPD app does offline: verify the token with the published JWKS only."""
    token = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    keyset = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
    verified = jwt.decode(token["access_token"], keyset, algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
    )
    registry.validate(verified.claims)
    assert verified.claims["sub"] == "opd-dinkes"
    assert verified.claims["opd"] == "DINKES"
    assert machine.get(f"{issuer}/v1/whoami").json()["kind"] == "client"
