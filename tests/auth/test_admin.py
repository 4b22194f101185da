"""Client administration through the API and the CLI, and the audit log behind both."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from auth.audit import recent
from auth.cli import build_clients_cli, build_keys_cli
from auth.models import AuditEvent, ClientSecret
from tests.auth.conftest import REDIRECT, Env, exchange, get_code, login


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token(env: Env) -> str:
    secret = env.machine(
        client_id="ops-console", opd=None, default_scopes=["hub:admin"], optional_scopes=[]
    )
    resp = env.http.post(
        "/oauth2/token", auth=("ops-console", secret), data={"grant_type": "client_credentials"}
    )
    token: str = resp.json()["access_token"]
    return token


NEW_CLIENT: dict[str, Any] = {
    "client_id": "dinas-pu-app",
    "name": "Aplikasi Dinas PU",
    "kind": "confidential",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": ["https://pu.lampungprov.go.id/callback"],
    "default_scopes": ["openid", "complaints:read"],
    "opd": "DPU",
}


def test_admin_api_needs_the_admin_scope(env: Env) -> None:
    assert env.http.get("/admin/sso/clients").status_code == 401
    secret = env.machine()
    token = env.http.post(
        "/oauth2/token", auth=("opd-dinkes", secret), data={"grant_type": "client_credentials"}
    ).json()["access_token"]
    resp = env.http.get("/admin/sso/clients", headers=bearer(token))
    assert resp.status_code == 403
    assert resp.json()["status"] == 403


def test_citizen_cannot_obtain_the_admin_scope(env: Env) -> None:
    env.citizen()
    _, secret = env.client(optional_scopes=["hub:admin"])
    login(env.http)
    code, verifier, _ = get_code(env, scope="openid hub:admin")
    body = exchange(env, code, verifier, secret).json()
    assert "hub:admin" not in body["scope"].split()
    assert (
        env.http.get("/admin/sso/clients", headers=bearer(body["access_token"])).status_code == 403
    )


def test_hub_admin_user_gets_the_admin_scope(env: Env) -> None:
    env.admin_user()
    _, secret = env.client(optional_scopes=["hub:admin"])
    login(env.http, "admin@lampungprov.go.id")
    code, verifier, _ = get_code(env, scope="openid hub:admin")
    body = exchange(env, code, verifier, secret).json()
    assert "hub:admin" in body["scope"].split()
    assert (
        env.http.get("/admin/sso/clients", headers=bearer(body["access_token"])).status_code == 200
    )


def test_client_lifecycle_through_the_api_is_audited(env: Env) -> None:
    h = bearer(admin_token(env))
    created = env.http.post("/admin/sso/clients", json=NEW_CLIENT, headers=h)
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["client_secret"]
    assert len(secret) >= 32
    assert body["client"]["client_id"] == "dinas-pu-app"
    assert body["client"]["secrets"][0]["hint"] == secret[:4] + "…"

    shown = env.http.get("/admin/sso/clients/dinas-pu-app", headers=h).json()
    assert "client_secret" not in shown
    with env.factory() as s:
        stored = s.scalars(select(ClientSecret)).all()
        assert all(secret not in row.secret_hash for row in stored)

    updated = env.http.patch(
        "/admin/sso/clients/dinas-pu-app",
        headers=h,
        json={
            "redirect_uris": ["https://pu.lampungprov.go.id/cb2"],
            "optional_scopes": ["complaints:update"],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == ["https://pu.lampungprov.go.id/cb2"]

    rotated = env.http.post(
        "/admin/sso/clients/dinas-pu-app/rotate-secret", headers=h, json={"grace_seconds": 600}
    )
    assert rotated.status_code == 200
    assert rotated.json()["client_secret"] != secret
    assert len(rotated.json()["client"]["secrets"]) == 2

    assert env.http.post("/admin/sso/clients/dinas-pu-app/disable", headers=h).json()["disabled"]
    assert env.http.delete("/admin/sso/clients/dinas-pu-app", headers=h).status_code == 204
    assert env.http.get("/admin/sso/clients/dinas-pu-app", headers=h).status_code == 404

    with env.factory() as s:
        events = [(e.action, e.target, e.actor, e.ip) for e in recent(s, 20)]
    actions = [a for a, target, *_ in events if target == "dinas-pu-app"]
    assert actions == [
        "client.deleted",
        "client.disabled",
        "client.secret_rotated",
        "client.updated",
        "client.created",
    ]
    assert all(
        actor == "client:ops-console" and ip for a, t, actor, ip in events if t == "dinas-pu-app"
    )
    log = env.http.get("/admin/sso/audit", headers=h, params={"action": "client.created"})
    assert [e["target"] for e in log.json()] == ["dinas-pu-app", "ops-console"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"redirect_uris": ["http://pu.example.id/cb"]}, "https"),
        ({"redirect_uris": ["https://pu.example.id/*"]}, "wildcard"),
        ({"redirect_uris": ["https://pu.example.id/cb#frag"]}, "fragment"),
        ({"default_scopes": ["root"]}, "unknown scopes"),
        (
            {"kind": "public", "grant_types": ["client_credentials"], "redirect_uris": []},
            "public client",
        ),
        ({"grant_types": ["refresh_token"]}, "needs authorization_code"),
    ],
)
def test_invalid_client_definitions_are_refused_clearly(
    env: Env, change: dict[str, Any], message: str
) -> None:
    h = bearer(admin_token(env))
    resp = env.http.post("/admin/sso/clients", json={**NEW_CLIENT, **change}, headers=h)
    assert resp.status_code == 422
    assert message in resp.text


def test_audit_log_is_append_only(env: Env) -> None:
    from auth.models import AppendOnlyError

    env.citizen()
    with env.factory() as s, pytest.raises(AppendOnlyError):
        event = s.scalars(select(AuditEvent)).first()
        assert event is not None
        event.action = "tampered"
        s.flush()
    with env.factory() as s, pytest.raises(AppendOnlyError):
        s.delete(s.scalars(select(AuditEvent)).first())
        s.flush()


def test_cli_clients_commands(env: Env) -> None:
    app = build_clients_cli(lambda: (env.config, env.factory))
    run = CliRunner().invoke
    made = run(
        app,
        [
            "create",
            "--name",
            "Connector Dinkes",
            "--client-id",
            "conn-dinkes",
            "--grant",
            "client_credentials",
            "--scope",
            "complaints:read",
            "--opd",
            "DINKES",
        ],
    )
    assert made.exit_code == 0, made.output
    secret = made.output.rsplit(": ", 1)[1].strip()
    assert len(secret) >= 32
    ok = env.http.post(
        "/oauth2/token", auth=("conn-dinkes", secret), data={"grant_type": "client_credentials"}
    )
    assert ok.status_code == 200

    listed = run(app, ["list"])
    assert "conn-dinkes" in listed.output and "DINKES" in listed.output
    assert secret not in run(app, ["show", "conn-dinkes"]).output

    rotated = run(app, ["rotate-secret", "conn-dinkes", "--grace", "0"])
    assert rotated.exit_code == 0
    new_secret = rotated.output.rsplit(": ", 1)[1].strip()
    assert (
        env.http.post(
            "/oauth2/token", auth=("conn-dinkes", secret), data={"grant_type": "client_credentials"}
        ).status_code
        == 401
    )
    assert (
        env.http.post(
            "/oauth2/token",
            auth=("conn-dinkes", new_secret),
            data={"grant_type": "client_credentials"},
        ).status_code
        == 200
    )

    upd = run(app, ["update", "conn-dinkes", "--optional-scope", "complaints:update"])
    assert upd.exit_code == 0, upd.output
    assert '"complaints:update"' in upd.output
    assert run(app, ["update", "conn-dinkes", "--redirect-uri", "ftp://x"]).exit_code == 1
    assert run(app, ["disable", "conn-dinkes"]).exit_code == 0
    assert run(app, ["delete", "conn-dinkes"]).exit_code == 1  # needs --yes
    assert run(app, ["delete", "conn-dinkes", "--yes"]).exit_code == 0
    missing = run(app, ["show", "conn-dinkes"])
    assert missing.exit_code == 1
    with env.factory() as s:
        actors = {e.actor for e in recent(s, 20) if e.target == "conn-dinkes"}
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_cli_keys_rotate(env: Env) -> None:
    env.http.get("/oauth2/jwks")  # first key
    app = build_keys_cli(lambda: (env.config, env.factory))
    assert CliRunner().invoke(app, ["rotate"]).exit_code == 0
    assert len(env.http.get("/oauth2/jwks").json()["keys"]) == 2
    assert "passive" in CliRunner().invoke(app, ["list"]).output


def test_bootstrap_admin_and_superapp_client(env: Env) -> None:
    from auth.bootstrap import ensure_admin, ensure_client, superapp_client

    with env.factory() as s, s.begin():
        first = ensure_admin(s, env.config, email="root@lampungprov.go.id")
        assert first.created and first.one_time_password
        assert first.user.must_change_password
        again = ensure_admin(s, env.config, email="root@lampungprov.go.id")
        assert not again.created and again.one_time_password is None
        from_env = ensure_admin(
            s, env.config, email="ops@lampungprov.go.id", password="dari-variabel-env-123"
        )
        assert from_env.created and from_env.one_time_password is None
        cid, secret = ensure_client(s, env.config, superapp_client([REDIRECT]))
        assert secret is None  # public client
        assert ensure_client(s, env.config, superapp_client([REDIRECT])) == (cid, None)
        password = first.one_time_password
    assert login(env.http, "root@lampungprov.go.id", password).status_code == 200


def test_cli_users_create_asn_and_disable(env: Env) -> None:
    from auth.cli import build_users_cli

    app = build_users_cli(lambda: (env.config, env.factory))
    made = CliRunner().invoke(
        app,
        [
            "create-asn",
            "--email",
            "staf@dinkes.lampungprov.go.id",
            "--name",
            "Staf Dinkes",
            "--role",
            "opd_staff",
            "--opd",
            "DINKES",
        ],
    )
    assert made.exit_code == 0, made.output
    password = made.output.rsplit(": ", 1)[1].strip()
    assert login(env.http, "staf@dinkes.lampungprov.go.id", password).status_code == 200
    bad = CliRunner().invoke(
        app, ["create-asn", "--email", "x@y.id", "--name", "X", "--role", "opd_staff"]
    )
    assert bad.exit_code == 1 and "OPD code" in bad.output
    assert CliRunner().invoke(app, ["disable", "staf@dinkes.lampungprov.go.id"]).exit_code == 0
    env.http.cookies.clear()
    assert login(env.http, "staf@dinkes.lampungprov.go.id", password).status_code == 401


def test_key_rotation_through_the_api(env: Env) -> None:
    h = bearer(admin_token(env))
    before = {k["kid"] for k in env.http.get("/oauth2/jwks").json()["keys"]}
    resp = env.http.post("/admin/sso/keys/rotate", headers=h)
    assert resp.status_code == 200
    new_kid = resp.json()["kid"]
    after = {k["kid"] for k in env.http.get("/oauth2/jwks").json()["keys"]}
    assert after == before | {new_kid}
    # the admin token signed with the old key still works during the overlap
    assert env.http.get("/admin/sso/clients", headers=h).status_code == 200
    log = env.http.get("/admin/sso/audit", headers=h, params={"action": "keys.rotated"}).json()
    assert log[0]["target"] == new_kid and log[0]["actor"] == "client:ops-console"


def test_openapi_documents_the_admin_api(env: Env) -> None:
    doc = env.http.get("/openapi.json").json()
    paths = doc["paths"]
    assert "/admin/sso/clients" in paths
    assert "/admin/sso/clients/{client_id}/rotate-secret" in paths
    assert "/oauth2/token" not in paths  # provider endpoints are described by discovery
