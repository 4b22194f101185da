"""Refresh rotation, client credentials, and what the guard accepts and refuses."""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from auth import keys
from auth.tokens import sign
from tests.auth.conftest import AUDIENCE, ISSUER, Env, exchange, get_code


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_for(env: Env, secret: str) -> dict[str, Any]:
    code, verifier, _ = get_code(env)
    resp = exchange(env, code, verifier, secret)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def refresh(env: Env, secret: str, token: str, **extra: str) -> Any:
    return env.http.post(
        "/oauth2/token",
        auth=("webapp", secret),
        data={"grant_type": "refresh_token", "refresh_token": token, **extra},
    )


def cc_token(env: Env, client_id: str, secret: str, **extra: str) -> Any:
    return env.http.post(
        "/oauth2/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials", **extra},
    )


# ---------------------------------------------------------------- refresh tokens


def test_refresh_rotates_the_refresh_token(signed_in) -> None:
    env, user_id, secret = signed_in
    first = tokens_for(env, secret)
    second = refresh(env, secret, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert env.http.get("/v1/whoami", headers=bearer(body["access_token"])).json()["sub"] == user_id
    third = refresh(env, secret, body["refresh_token"])
    assert third.status_code == 200


def test_reused_refresh_token_revokes_the_whole_family(signed_in) -> None:
    env, _, secret = signed_in
    first = tokens_for(env, secret)
    second = refresh(env, secret, first["refresh_token"]).json()

    replay = refresh(env, secret, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"

    # the legitimate newest tokens of the family are dead too
    assert refresh(env, secret, second["refresh_token"]).status_code == 400
    assert env.http.get("/v1/whoami", headers=bearer(second["access_token"])).status_code == 401
    assert env.http.get("/v1/whoami", headers=bearer(first["access_token"])).status_code == 401


def test_refresh_may_narrow_but_not_widen_scope(signed_in) -> None:
    env, _, secret = signed_in
    first = tokens_for(env, secret)
    wider = refresh(env, secret, first["refresh_token"], scope="openid complaints:write")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    narrower = refresh(env, secret, first["refresh_token"], scope="openid")
    assert narrower.status_code == 200
    assert narrower.json()["scope"] == "openid"


def test_refresh_token_of_another_client_is_refused(signed_in) -> None:
    env, _, secret = signed_in
    _, other_secret = env.client(client_id="other-app")
    first = tokens_for(env, secret)
    stolen = env.http.post(
        "/oauth2/token",
        auth=("other-app", other_secret),
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert stolen.status_code == 400
    assert refresh(env, secret, first["refresh_token"]).status_code == 200


def test_expired_refresh_token_is_refused(signed_in) -> None:
    env, _, secret = signed_in
    first = tokens_for(env, secret)
    env.clock.advance(env.config.refresh_token_ttl + 1)
    assert refresh(env, secret, first["refresh_token"]).status_code == 400


# ---------------------------------------------------------------- client credentials


def test_client_credentials_token_carries_client_and_opd(env: Env) -> None:
    secret = env.machine()
    resp = cc_token(env, "opd-dinkes", secret)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "refresh_token" not in body
    assert body["scope"] == "complaints:read"
    me = env.http.get("/v1/whoami", headers=bearer(body["access_token"]))
    assert me.json() == {
        "sub": "opd-dinkes",
        "kind": "client",
        "opd": "DINKES",
        "client_id": "opd-dinkes",
    }


def test_client_credentials_scope_limited_to_the_clients_scopes(env: Env) -> None:
    secret = env.machine()
    ok = cc_token(env, "opd-dinkes", secret, scope="complaints:update")
    assert ok.status_code == 200
    assert ok.json()["scope"] == "complaints:update"
    refused = cc_token(env, "opd-dinkes", secret, scope="hub:admin")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


def test_client_credentials_needs_the_grant_and_a_secret(signed_in) -> None:
    env, _, secret = signed_in
    resp = env.http.post(
        "/oauth2/token", auth=("webapp", secret), data={"grant_type": "client_credentials"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unauthorized_client"
    env.machine()
    no_secret = env.http.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "client_id": "opd-dinkes"}
    )
    assert no_secret.status_code in (400, 401)
    assert no_secret.json()["error"] == "invalid_client"


def test_disabled_client_gets_no_tokens_and_its_tokens_stop_working(env: Env) -> None:
    from auth import clients
    from tests.auth.conftest import ADMIN

    secret = env.machine()
    token = cc_token(env, "opd-dinkes", secret).json()["access_token"]
    with env.factory() as s, s.begin():
        clients.set_disabled(s, "opd-dinkes", True, actor=ADMIN, now=env.clock())
    refused = cc_token(env, "opd-dinkes", secret)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert env.http.get("/v1/whoami", headers=bearer(token)).status_code == 401


def test_rotated_secret_old_one_valid_during_grace_only(env: Env) -> None:
    from auth import clients
    from tests.auth.conftest import ADMIN

    old = env.machine()
    with env.factory() as s, s.begin():
        new = clients.rotate_secret(
            s, "opd-dinkes", grace_seconds=3600, actor=ADMIN, now=env.clock()
        )
    assert len(new) >= 32 and new != old
    assert cc_token(env, "opd-dinkes", new).status_code == 200
    assert cc_token(env, "opd-dinkes", old).status_code == 200
    env.clock.advance(3601)
    assert cc_token(env, "opd-dinkes", old).status_code == 401
    assert cc_token(env, "opd-dinkes", new).status_code == 200


def test_rotation_without_grace_kills_the_old_secret_at_once(env: Env) -> None:
    from auth import clients
    from tests.auth.conftest import ADMIN

    old = env.machine()
    with env.factory() as s, s.begin():
        clients.rotate_secret(s, "opd-dinkes", grace_seconds=0, actor=ADMIN, now=env.clock())
    assert cc_token(env, "opd-dinkes", old).status_code == 401


# ---------------------------------------------------------------- the guard


def test_guard_missing_token_is_401_with_challenge_and_problem(env: Env) -> None:
    resp = env.http.get("/v1/whoami")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer ")
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == 401


def test_guard_anonymous_allowed_where_no_scope_is_needed(env: Env) -> None:
    assert env.http.get("/v1/public").json() == {"anonymous": True}
    garbage = env.http.get("/v1/public", headers=bearer("not.a.jwt"))
    assert garbage.status_code == 401


def test_guard_insufficient_scope_is_403(env: Env) -> None:
    secret = env.machine()
    token = cc_token(env, "opd-dinkes", secret, scope="complaints:update").json()["access_token"]
    resp = env.http.get("/v1/whoami", headers=bearer(token))
    assert resp.status_code == 403
    assert 'error="insufficient_scope"' in resp.headers["www-authenticate"]
    assert resp.json()["status"] == 403
    assert resp.headers["content-type"] == "application/problem+json"


def test_guard_refuses_expired_token(env: Env) -> None:
    secret = env.machine()
    token = cc_token(env, "opd-dinkes", secret).json()["access_token"]
    env.clock.advance(env.config.access_token_ttl + 1)
    resp = env.http.get("/v1/whoami", headers=bearer(token))
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["www-authenticate"]


def test_guard_refuses_tampered_token(env: Env) -> None:
    secret = env.machine()
    token = cc_token(env, "opd-dinkes", secret).json()["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "complaints:read hub:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    resp = env.http.get("/v1/whoami", headers=bearer(f"{header}.{forged}.{signature}"))
    assert resp.status_code == 401


def _signing(env: Env) -> tuple[str, RSAKey]:
    with env.factory() as s, s.begin():
        return keys.active_key(s, env.components.cipher, env.clock())


def _claims(env: Env, **over: Any) -> dict[str, Any]:
    now = int(env.clock().timestamp())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "client_id": "x",
        "iat": now,
        "exp": now + 60,
        "jti": "forged-jti",
        "scope": "complaints:read",
    }
    claims.update(over)
    return claims


def test_guard_refuses_wrong_audience_even_when_well_signed(env: Env) -> None:
    kid, key = _signing(env)
    token = sign(key, kid, _claims(env, aud="https://other-api.example"), typ="at+jwt")
    assert env.http.get("/v1/whoami", headers=bearer(token)).status_code == 401


def test_guard_refuses_wrong_issuer_and_untracked_jti_and_wrong_type(env: Env) -> None:
    kid, key = _signing(env)
    wrong_iss = sign(key, kid, _claims(env, iss="https://evil.example"), typ="at+jwt")
    assert env.http.get("/v1/whoami", headers=bearer(wrong_iss)).status_code == 401
    # signed by us but never issued (e.g. an ID token passed as access token) -> refused
    untracked = sign(key, kid, _claims(env), typ="at+jwt")
    assert env.http.get("/v1/whoami", headers=bearer(untracked)).status_code == 401
    id_typ = sign(key, kid, _claims(env), typ="JWT")
    assert env.http.get("/v1/whoami", headers=bearer(id_typ)).status_code == 401


def test_guard_refuses_foreign_key_and_alg_none(env: Env) -> None:
    kid, _ = _signing(env)
    foreign = RSAKey.generate_key(2048, parameters={"kid": kid})
    forged = jwt.encode({"alg": "RS256", "kid": kid, "typ": "at+jwt"}, _claims(env), foreign)
    assert env.http.get("/v1/whoami", headers=bearer(forged)).status_code == 401
    none_header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
        .rstrip(b"=")
        .decode()
    )
    body = base64.urlsafe_b64encode(json.dumps(_claims(env)).encode()).rstrip(b"=").decode()
    assert env.http.get("/v1/whoami", headers=bearer(f"{none_header}.{body}.")).status_code == 401


def test_key_rotation_old_tokens_verify_during_overlap_then_stop(env: Env) -> None:
    secret = env.machine()
    old_token = cc_token(env, "opd-dinkes", secret).json()["access_token"]
    old_kid = jwt.decode(
        old_token, KeySet.import_key_set(env.http.get("/oauth2/jwks").json())
    ).header["kid"]
    with env.factory() as s, s.begin():
        new_key = keys.rotate(s, env.components.cipher, env.clock(), overlap_seconds=1800)
    published = {k["kid"] for k in env.http.get("/oauth2/jwks").json()["keys"]}
    assert published == {old_kid, new_key.kid}
    new_token = cc_token(env, "opd-dinkes", secret).json()["access_token"]
    assert (
        jwt.decode(new_token, KeySet.import_key_set(env.http.get("/oauth2/jwks").json())).header[
            "kid"
        ]
        == new_key.kid
    )
    assert env.http.get("/v1/whoami", headers=bearer(old_token)).status_code == 200
    assert env.http.get("/v1/whoami", headers=bearer(new_token)).status_code == 200
    env.clock.advance(1801)  # old key retired (and old token long expired anyway)
    published = {k["kid"] for k in env.http.get("/oauth2/jwks").json()["keys"]}
    assert published == {new_key.kid}


def test_private_keys_are_encrypted_at_rest(env: Env) -> None:
    from auth.models import SigningKey

    _signing(env)
    with env.factory() as s:
        row = s.query(SigningKey).one()
        assert "PRIVATE KEY" not in row.private_key_encrypted
        assert "d" not in row.public_jwk


def test_one_opds_token_cannot_read_another_opds_reports(env: Env) -> None:
    dinkes = cc_token(env, "opd-dinkes", env.machine()).json()["access_token"]
    dpu = cc_token(env, "opd-dpu", env.machine("opd-dpu", "DPU")).json()["access_token"]
    assert env.http.get("/v1/opd/DINKES/reports", headers=bearer(dinkes)).status_code == 200
    other = env.http.get("/v1/opd/DPU/reports", headers=bearer(dinkes))
    assert other.status_code == 403
    assert other.json()["type"].endswith("forbidden-tenant")
    assert env.http.get("/v1/opd/DPU/reports", headers=bearer(dpu)).status_code == 200
    admin = cc_token(
        env,
        "ops",
        env.machine("ops", None, default_scopes=["complaints:read", "hub:admin"]),
    ).json()["access_token"]
    assert env.http.get("/v1/opd/DPU/reports", headers=bearer(admin)).status_code == 200


def test_per_client_access_token_lifetime(env: Env) -> None:
    secret = env.machine(access_token_ttl=120)
    body = cc_token(env, "opd-dinkes", secret).json()
    assert body["expires_in"] == 120
    claims = jwt.decode(
        body["access_token"], KeySet.import_key_set(env.http.get("/oauth2/jwks").json())
    ).claims
    assert claims["exp"] - claims["iat"] == 120


def test_purge_expired_keeps_live_rows_and_recent_evidence(signed_in) -> None:
    from datetime import timedelta

    from auth.maintenance import purge_expired
    from auth.models import AccessTokenRecord, AuthorizationCode, RefreshToken

    env, _, secret = signed_in
    tokens_for(env, secret)
    with env.factory() as s, s.begin():
        assert purge_expired(s, env.clock(), retention=timedelta(days=1))["codes"] == 0
    env.clock.advance(env.config.refresh_token_ttl + 2 * 86400)
    with env.factory() as s, s.begin():
        counts = purge_expired(s, env.clock(), retention=timedelta(days=1))
    assert counts["codes"] == 1 and counts["refresh_tokens"] == 1
    assert counts["access_tokens"] == 1
    with env.factory() as s:
        assert s.query(AuthorizationCode).count() == 0
        assert s.query(RefreshToken).count() == 0
        assert s.query(AccessTokenRecord).count() == 0
