"""The core flow on PostgreSQL (own database `hub_test_auth`): codes, PKCE, rotation, reuse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from auth.models import AuthBase
from tests.auth.conftest import POSTGRES_URL, Env, exchange, get_code, login, make_env

pytestmark = pytest.mark.postgres
DB_NAME = "hub_test_auth"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    admin = create_engine(f"{POSTGRES_URL}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {DB_NAME}"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    yield f"{POSTGRES_URL}/{DB_NAME}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def pg_env(pg_url: str) -> Iterator[Env]:
    yield from make_env(pg_url)
    engine = create_engine(pg_url)
    AuthBase.metadata.drop_all(engine)
    engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(env: Env) -> str:
    env.citizen()
    _, secret = env.client()
    assert secret is not None
    assert login(env.http).status_code == 200
    return secret


def test_code_flow_refresh_rotation_and_reuse_on_postgres(pg_env: Env) -> None:
    secret = signed_in(pg_env)
    code, verifier, _ = get_code(pg_env)
    first = exchange(pg_env, code, verifier, secret)
    assert first.status_code == 200, first.text
    body: dict[str, Any] = first.json()
    assert pg_env.http.get("/v1/whoami", headers=bearer(body["access_token"])).status_code == 200

    def refresh(token: str) -> Any:
        return pg_env.http.post(
            "/oauth2/token",
            auth=("webapp", secret),
            data={"grant_type": "refresh_token", "refresh_token": token},
        )

    second = refresh(body["refresh_token"])
    assert second.status_code == 200
    assert refresh(body["refresh_token"]).status_code == 400  # reuse
    assert refresh(second.json()["refresh_token"]).status_code == 400  # family revoked
    assert (
        pg_env.http.get("/v1/whoami", headers=bearer(second.json()["access_token"])).status_code
        == 401
    )


def test_code_reuse_and_wrong_verifier_on_postgres(pg_env: Env) -> None:
    secret = signed_in(pg_env)
    code, verifier, _ = get_code(pg_env)
    assert exchange(pg_env, code, "x" * 43, secret).json()["error"] == "invalid_grant"
    code, verifier, _ = get_code(pg_env)
    first = exchange(pg_env, code, verifier, secret).json()
    assert exchange(pg_env, code, verifier, secret).status_code == 400
    assert pg_env.http.get("/v1/whoami", headers=bearer(first["access_token"])).status_code == 401


def test_client_credentials_on_postgres(pg_env: Env) -> None:
    secret = pg_env.machine()
    resp = pg_env.http.post(
        "/oauth2/token", auth=("opd-dinkes", secret), data={"grant_type": "client_credentials"}
    )
    assert resp.status_code == 200
    me = pg_env.http.get("/v1/whoami", headers=bearer(resp.json()["access_token"]))
    assert me.json()["opd"] == "DINKES"


def test_simultaneous_redemption_of_one_code_succeeds_at_most_once(pg_env: Env) -> None:
    import base64
    import threading

    from auth.server import RequestData, unit_of_work

    secret = signed_in(pg_env)
    code, verifier, _ = get_code(pg_env)
    basic = base64.b64encode(f"webapp:{secret}".encode()).decode()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def redeem() -> None:
        data = RequestData(
            method="POST",
            uri="http://127.0.0.1:8000/oauth2/token",
            headers={
                "authorization": f"Basic {basic}",
                "content-type": "application/x-www-form-urlencoded",
            },
            form=[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", "https://app.example.id/callback"),
                ("code_verifier", verifier),
            ],
        )
        barrier.wait(timeout=10)
        with unit_of_work(pg_env.factory):
            statuses.append(pg_env.components.server.create_token_response(data).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [200, 400]
