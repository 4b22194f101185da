"""OIDC: discovery, userinfo, consent, prompt, max_age, logout, revocation, introspection."""

from __future__ import annotations

from typing import Any

from tests.auth.conftest import (
    ISSUER,
    REDIRECT,
    Env,
    authorize_params,
    csrf_from,
    exchange,
    get_code,
    login,
    pkce,
    query_of,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens(env: Env, secret: str | None, client_id: str = "webapp", **extra: str) -> dict[str, Any]:
    code, verifier, _ = get_code(env, client_id=client_id, **extra)
    resp = exchange(env, code, verifier, secret, client_id=client_id)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_discovery_document(env: Env) -> None:
    doc = env.http.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    for key, path in {
        "authorization_endpoint": "/oauth2/authorize",
        "token_endpoint": "/oauth2/token",
        "userinfo_endpoint": "/oauth2/userinfo",
        "jwks_uri": "/oauth2/jwks",
        "revocation_endpoint": "/oauth2/revoke",
        "introspection_endpoint": "/oauth2/introspect",
        "end_session_endpoint": "/oauth2/logout",
    }.items():
        assert doc[key] == ISSUER + path
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "none" not in doc["id_token_signing_alg_values_supported"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert {"client_secret_basic", "client_secret_post"} <= set(
        doc["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "profile", "email", "phone"} <= set(doc["scopes_supported"])
    assert doc["subject_types_supported"] == ["public"]
    assert env.http.get("/.well-known/oauth-authorization-server").json() == doc
    keys = env.http.get(doc["jwks_uri"].removeprefix(ISSUER)).json()["keys"]
    assert keys and all(k["kty"] == "RSA" and "d" not in k and k["kid"] for k in keys)


def test_userinfo_get_and_post_release_only_granted_claims(env: Env) -> None:
    user_id = env.citizen(phone="0812-3456-7890")
    _, secret = env.client()
    login(env.http)
    narrow = tokens(env, secret, scope="openid")
    for resp in (
        env.http.get("/oauth2/userinfo", headers=bearer(narrow["access_token"])),
        env.http.post("/oauth2/userinfo", headers=bearer(narrow["access_token"])),
        env.http.post("/oauth2/userinfo", data={"access_token": narrow["access_token"]}),
    ):
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"sub": user_id}
    wide = tokens(env, secret, scope="openid profile email phone")
    claims = env.http.post("/oauth2/userinfo", headers=bearer(wide["access_token"])).json()
    assert claims["sub"] == user_id
    assert claims["name"] == "Warga Lampung"
    assert claims["email"] == "warga@example.id"
    assert claims["phone_number"] == "+6281234567890"


def test_userinfo_refuses_missing_bad_and_non_openid_tokens(env: Env) -> None:
    resp = env.http.get("/oauth2/userinfo")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert env.http.get("/oauth2/userinfo", headers=bearer("x.y.z")).status_code == 401
    secret = env.machine()
    cc = env.http.post(
        "/oauth2/token", auth=("opd-dinkes", secret), data={"grant_type": "client_credentials"}
    ).json()
    assert env.http.get("/oauth2/userinfo", headers=bearer(cc["access_token"])).status_code == 403


def test_state_is_echoed_and_nonce_lands_in_id_token(signed_in) -> None:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    env, _, secret = signed_in
    code, verifier, _ = get_code(env, state="my-state-42", nonce="nonce-xyz")
    body = exchange(env, code, verifier, secret).json()
    keyset = KeySet.import_key_set(env.http.get("/oauth2/jwks").json())
    assert jwt.decode(body["id_token"], keyset).claims["nonce"] == "nonce-xyz"


def test_third_party_client_asks_consent_once(env: Env) -> None:
    env.citizen()
    _, secret = env.client(client_id="thirdparty", first_party=False)
    login(env.http)
    verifier, challenge = pkce()
    params = authorize_params("thirdparty", challenge, scope="openid email")
    page = env.http.get("/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert "email" in page.text and "Izinkan" in page.text
    form = {**params, "csrf_token": csrf_from(page.text), "decision": "allow"}
    granted = env.http.post("/oauth2/authorize", data=form)
    assert granted.status_code == 302, granted.text
    got = query_of(granted.headers["location"])
    assert got["state"] == params["state"]
    assert exchange(env, got["code"], verifier, secret, client_id="thirdparty").status_code == 200
    # second time: remembered, no page
    again = env.http.get(
        "/oauth2/authorize", params=authorize_params("thirdparty", pkce()[1], scope="openid email")
    )
    assert again.status_code == 302


def test_consent_denied_returns_access_denied(env: Env) -> None:
    env.citizen()
    env.client(client_id="thirdparty", first_party=False)
    login(env.http)
    params = authorize_params("thirdparty", pkce()[1], scope="openid email")
    page = env.http.get("/oauth2/authorize", params=params)
    denied = env.http.post(
        "/oauth2/authorize", data={**params, "csrf_token": csrf_from(page.text), "decision": "deny"}
    )
    assert denied.status_code == 302
    got = query_of(denied.headers["location"])
    assert got["error"] == "access_denied"
    assert got["state"] == params["state"]


def test_consent_post_without_csrf_is_refused(env: Env) -> None:
    env.citizen()
    env.client(client_id="thirdparty", first_party=False)
    login(env.http)
    params = authorize_params("thirdparty", pkce()[1], scope="openid email")
    resp = env.http.post("/oauth2/authorize", data={**params, "decision": "allow"})
    assert resp.status_code == 403
    assert "location" not in resp.headers


def test_openid_only_needs_no_consent_even_for_third_party(env: Env) -> None:
    env.citizen()
    env.client(client_id="thirdparty", first_party=False)
    login(env.http)
    resp = env.http.get(
        "/oauth2/authorize", params=authorize_params("thirdparty", pkce()[1], scope="openid")
    )
    assert resp.status_code == 302
    assert "code" in query_of(resp.headers["location"])


def test_prompt_none_without_session_is_login_required(env: Env) -> None:
    env.client()
    params = authorize_params(challenge=pkce()[1], prompt="none")
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 302
    got = query_of(resp.headers["location"])
    assert resp.headers["location"].startswith(REDIRECT)
    assert got["error"] == "login_required"
    assert got["state"] == params["state"]


def test_prompt_none_with_session_issues_code_silently(signed_in) -> None:
    env, _, _ = signed_in
    resp = env.http.get(
        "/oauth2/authorize", params=authorize_params(challenge=pkce()[1], prompt="none")
    )
    assert resp.status_code == 302
    assert "code" in query_of(resp.headers["location"])


def test_prompt_none_when_consent_is_needed_is_consent_required(env: Env) -> None:
    env.citizen()
    env.client(client_id="thirdparty", first_party=False)
    login(env.http)
    resp = env.http.get(
        "/oauth2/authorize",
        params=authorize_params("thirdparty", pkce()[1], scope="openid email", prompt="none"),
    )
    assert resp.status_code == 302
    assert query_of(resp.headers["location"])["error"] == "consent_required"


def test_prompt_login_forces_a_fresh_login(signed_in) -> None:
    env, _, secret = signed_in
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge, prompt="login")
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 303
    next_url = query_of(resp.headers["location"])["next"]
    assert "prompt" not in query_of(next_url)
    env.clock.advance(30)
    assert login(env.http, next_url=next_url).status_code == 303
    final = env.http.get(next_url)
    code = query_of(final.headers["location"])["code"]
    body = exchange(env, code, verifier, secret).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keyset = KeySet.import_key_set(env.http.get("/oauth2/jwks").json())
    assert jwt.decode(body["id_token"], keyset).claims["auth_time"] == int(env.clock().timestamp())


def test_max_age_exceeded_requires_login(signed_in) -> None:
    env, _, _ = signed_in
    env.clock.advance(120)
    stale = env.http.get(
        "/oauth2/authorize", params=authorize_params(challenge=pkce()[1], max_age="60")
    )
    assert stale.status_code == 303
    fresh = env.http.get(
        "/oauth2/authorize", params=authorize_params(challenge=pkce()[1], max_age="600")
    )
    assert fresh.status_code == 302


def test_revocation_of_access_and_refresh_tokens(signed_in) -> None:
    env, _, secret = signed_in
    body = tokens(env, secret)
    revoke = env.http.post(
        "/oauth2/revoke",
        auth=("webapp", secret),
        data={"token": body["access_token"], "token_type_hint": "access_token"},
    )
    assert revoke.status_code == 200
    assert env.http.get("/v1/whoami", headers=bearer(body["access_token"])).status_code == 401
    # revoking the refresh token ends the family
    other = tokens(env, secret)
    assert (
        env.http.post(
            "/oauth2/revoke", auth=("webapp", secret), data={"token": other["refresh_token"]}
        ).status_code
        == 200
    )
    assert env.http.get("/v1/whoami", headers=bearer(other["access_token"])).status_code == 401
    assert (
        env.http.post(
            "/oauth2/token",
            auth=("webapp", secret),
            data={"grant_type": "refresh_token", "refresh_token": other["refresh_token"]},
        ).status_code
        == 400
    )
    # unknown token: still 200 (RFC 7009 2.2)
    assert (
        env.http.post(
            "/oauth2/revoke", auth=("webapp", secret), data={"token": "unknown"}
        ).status_code
        == 200
    )


def test_revocation_needs_client_authentication(signed_in) -> None:
    env, _, secret = signed_in
    body = tokens(env, secret)
    resp = env.http.post("/oauth2/revoke", data={"token": body["access_token"]})
    assert resp.status_code in (400, 401)
    assert env.http.get("/v1/whoami", headers=bearer(body["access_token"])).status_code == 200


def test_introspection(signed_in) -> None:
    env, user_id, secret = signed_in
    body = tokens(env, secret)
    info = env.http.post(
        "/oauth2/introspect", auth=("webapp", secret), data={"token": body["access_token"]}
    ).json()
    assert info["active"] is True
    assert info["sub"] == user_id
    assert info["client_id"] == "webapp"
    assert "complaints:read" in info["scope"].split()
    rt = env.http.post(
        "/oauth2/introspect", auth=("webapp", secret), data={"token": body["refresh_token"]}
    ).json()
    assert rt["active"] is True
    # another ordinary client may not look at it
    _, other = env.client(client_id="other-app")
    assert env.http.post(
        "/oauth2/introspect", auth=("other-app", other), data={"token": body["access_token"]}
    ).json() == {"active": False}
    # a resource server holding the introspection scope may
    rs_secret = env.machine(client_id="resource-server", optional_scopes=["auth:introspect"])
    assert (
        env.http.post(
            "/oauth2/introspect",
            auth=("resource-server", rs_secret),
            data={"token": body["access_token"]},
        ).json()["active"]
        is True
    )
    env.http.post("/oauth2/revoke", auth=("webapp", secret), data={"token": body["access_token"]})
    assert env.http.post(
        "/oauth2/introspect", auth=("webapp", secret), data={"token": body["access_token"]}
    ).json() == {"active": False}
    assert (
        env.http.post("/oauth2/introspect", data={"token": body["refresh_token"]}).status_code
        == 401
    )


def test_rp_initiated_logout_with_id_token_hint(signed_in) -> None:
    from auth import clients
    from auth.client_schemas import ClientUpdate
    from tests.auth.conftest import ADMIN

    env, _, secret = signed_in
    with env.factory() as s, s.begin():
        clients.update(
            s,
            "webapp",
            ClientUpdate(post_logout_redirect_uris=["https://app.example.id/bye"]),
            actor=ADMIN,
            now=env.clock(),
            scopes_supported=env.config.scopes_supported,
        )
    body = tokens(env, secret)
    bad = env.http.get(
        "/oauth2/logout",
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert bad.status_code == 400
    resp = env.http.get(
        "/oauth2/logout",
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "https://app.example.id/bye",
            "state": "s1",
        },
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "https://app.example.id/bye?state=s1"
    # the SSO session is over: the next authorization needs a login
    again = env.http.get("/oauth2/authorize", params=authorize_params(challenge=pkce()[1]))
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")


def test_logout_without_hint_asks_confirmation_with_csrf(signed_in) -> None:
    env, _, _ = signed_in
    page = env.http.get("/oauth2/logout")
    assert page.status_code == 200
    assert env.http.post("/oauth2/logout", data={}).status_code == 403
    done = env.http.post("/oauth2/logout", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200
    again = env.http.get("/oauth2/authorize", params=authorize_params(challenge=pkce()[1]))
    assert again.status_code == 303


def test_max_age_zero_means_log_in_now_without_a_loop(signed_in) -> None:
    env, _, _ = signed_in
    env.clock.advance(5)
    resp = env.http.get(
        "/oauth2/authorize", params=authorize_params(challenge=pkce()[1], max_age="0")
    )
    assert resp.status_code == 303
    next_url = query_of(resp.headers["location"])["next"]
    assert "max_age" not in query_of(next_url)
    env.clock.advance(5)
    assert login(env.http, next_url=next_url).status_code == 303
    env.clock.advance(1)
    assert env.http.get(next_url).status_code == 302
