"""Acceptance for single sign-on: a relying party nobody here wrote (authlib's OAuth2Client, as
the super-app would use it) against `hub up` itself, and an OPD app's machine token checked
offline with the JWKS, then used on the unified API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.cli.test_cli import free_port, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib nudges towards httpx2; httpx is what we pin
    from authlib.integrations.httpx_client import OAuth2Client

REDIRECT = "id.go.lampungprov.superapp:/oauth2redirect"
PASSWORD = "Kata-Sandi-Admin-2026!"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("hub-up") / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(data),
        "HUB_PUBLIC_URL": base,
        "HUB_ADMIN_PASSWORD": PASSWORD,
        "HUB_SUPERAPP_REDIRECT_URIS": json.dumps([REDIRECT]),
    }
    for name in ("HUB_DATABASE_URL", "HUB_BROKER_URL"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"{base}/healthz", time.monotonic() + 60)
        yield {"base": base, "env": env}
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def sign_in(authorization_url: str, identifier: str, password: str) -> str:
    """A browser: follows the SSO's redirects, fills in the login form, returns the redirect
    back to the app (a custom scheme, never followed)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        resp = browser.get(authorization_url)
        assert resp.status_code == 303, resp.text
        login_url = urljoin(authorization_url, resp.headers["location"])
        page = browser.get(login_url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        next_field = re.search(r'name="next" value="([^"]*)"', page.text)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert csrf and next_field and action, page.text
        posted = browser.post(
            urljoin(login_url, action.group(1)),
            data={
                "identifier": identifier,
                "password": password,
                "csrf_token": csrf.group(1),
                "next": next_field.group(1).replace("&amp;", "&"),
            },
        )
        assert posted.status_code == 303, posted.text
        back = browser.get(urljoin(login_url, posted.headers["location"]))
        assert back.status_code == 302, back.text
        return str(back.headers["location"])


def test_the_superapp_signs_in_refreshes_and_files_a_complaint(hub: dict[str, Any]) -> None:
    base = hub["base"]
    meta = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert meta["issuer"] == base
    assert meta["code_challenge_methods_supported"] == ["S256"]
    with OAuth2Client(
        client_id="lampung-in-superapp",
        scope="openid profile complaints:read complaints:write",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as rp:
        verifier = generate_token(64)
        url, state = rp.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(16)
        )
        callback = sign_in(url, "admin@hub.local", PASSWORD)
        token = rp.fetch_token(
            meta["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
        )
        subject = rp.get(meta["userinfo_endpoint"]).json()["sub"]
        filed = rp.post(
            f"{base}/v1/complaints",
            json={"title": "Lampu jalan mati", "description": "Lampu PJU Jl. Kartini mati total."},
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["reporter"] == subject  # linked to the signed-in citizen
        renewed = rp.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
        assert renewed["access_token"] != token["access_token"]
        mine = rp.get(f"{base}/v1/complaints", params={"mine": "true"}).json()["items"]
        assert [c["id"] for c in mine] == [filed.json()["id"]]


def test_an_opd_machine_token_verifies_offline_and_opens_only_its_scopes(
    hub: dict[str, Any],
) -> None:
    base = hub["base"]
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "clients",
            "create",
            "--name",
            "Aplikasi DLH",
            "--client-id",
            "opd-dlh-prov",
            "--grant",
            "client_credentials",
            "--opd",
            "dlh-prov",
            "--scope",
            "complaints:read",
            "--scope",
            "connectors:read",
        ],
        env=hub["env"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    secret = re.search(r"client_secret \(shown once[^)]*\): (\S+)", created.stdout)
    assert secret, created.stdout
    meta = httpx.get(f"{base}/.well-known/openid-configuration").json()
    with OAuth2Client(
        client_id="opd-dlh-prov",
        client_secret=secret.group(1),
        token_endpoint_auth_method="client_secret_basic",
    ) as machine:
        token = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        keyset = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
        claims = jwt.decode(token["access_token"], keyset, algorithms=["RS256"]).claims
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": base},
            aud={"essential": True, "value": f"{base}/v1"},
        ).validate(claims)
        assert claims["opd"] == "dlh-prov"
        assert machine.get(f"{base}/v1/connector-instances").status_code == 200
        denied = machine.post(f"{base}/v1/connector-instances", json={})
        assert denied.status_code == 403
        assert "insufficient_scope" in denied.headers["www-authenticate"]
