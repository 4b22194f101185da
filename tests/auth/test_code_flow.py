"""Authorization code + PKCE: the happy path and every way a code request must fail."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.conftest import (
    AUDIENCE,
    ISSUER,
    REDIRECT,
    authorize_params,
    exchange,
    get_code,
    pkce,
    query_of,
)


def jwks(env) -> KeySet:
    return KeySet.import_key_set(env.http.get("/oauth2/jwks").json())


def test_code_flow_issues_verifiable_access_and_id_tokens(signed_in) -> None:
    env, user_id, secret = signed_in
    code, verifier, params = get_code(env)
    resp = exchange(env, code, verifier, secret)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    keyset = jwks(env)

    access = jwt.decode(body["access_token"], keyset, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt"
    assert access.header["kid"] in {k.kid for k in keyset.keys}
    claims = access.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == user_id
    assert claims["client_id"] == "webapp"
    assert set(claims["scope"].split()) == {"openid", "profile", "complaints:read"}
    assert claims["exp"] - claims["iat"] == env.config.access_token_ttl
    assert claims["jti"]

    id_token = jwt.decode(body["id_token"], keyset, algorithms=["RS256"])
    assert id_token.header["alg"] == "RS256"
    idc = id_token.claims
    assert idc["iss"] == ISSUER
    assert idc["aud"] == ["webapp"]
    assert idc["sub"] == user_id
    assert idc["nonce"] == params["nonce"]
    assert idc["auth_time"] == int(env.clock().timestamp())
    assert idc["at_hash"]
    assert idc["name"] == "Warga Lampung"

    api = env.http.get("/v1/whoami", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 200
    assert api.json() == {"sub": user_id, "kind": "user", "opd": None, "client_id": "webapp"}


def test_public_client_uses_pkce_without_secret(signed_in) -> None:
    env, _, _ = signed_in
    env.client(client_id="native", kind="public", redirect_uris=[REDIRECT])
    code, verifier, _ = get_code(env, client_id="native")
    resp = exchange(env, code, verifier, None, client_id="native")
    assert resp.status_code == 200, resp.text


def test_unregistered_redirect_uri_shows_error_page_and_never_redirects(signed_in) -> None:
    env, _, _ = signed_in
    _, challenge = pkce()
    params = authorize_params(challenge=challenge, redirect_uri="https://evil.example/cb")
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 400
    assert "location" not in resp.headers
    assert resp.headers["content-type"].startswith("text/html")
    assert "evil.example" not in resp.text or "tidak mengalihkan" in resp.text


def test_unknown_client_shows_error_page(signed_in) -> None:
    env, _, _ = signed_in
    _, challenge = pkce()
    resp = env.http.get("/oauth2/authorize", params=authorize_params("nobody", challenge))
    assert resp.status_code == 400
    assert "location" not in resp.headers


def test_redirect_uri_must_match_exactly(signed_in) -> None:
    env, _, _ = signed_in
    _, challenge = pkce()
    for uri in (REDIRECT + "/", REDIRECT + "?x=1", REDIRECT.upper(), "https://app.example.id/"):
        resp = env.http.get(
            "/oauth2/authorize", params=authorize_params(challenge=challenge, redirect_uri=uri)
        )
        assert resp.status_code == 400, uri


def test_loopback_redirect_may_change_port_for_native_apps(signed_in) -> None:
    env, _, _ = signed_in
    env.client(client_id="desktop", kind="public", redirect_uris=["http://127.0.0.1/cb"])
    verifier, challenge = pkce()
    params = authorize_params("desktop", challenge, redirect_uri="http://127.0.0.1:53127/cb")
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 302
    assert resp.headers["location"].startswith("http://127.0.0.1:53127/cb?code=")
    code = query_of(resp.headers["location"])["code"]
    token = exchange(
        env, code, verifier, None, client_id="desktop", redirect_uri="http://127.0.0.1:53127/cb"
    )
    assert token.status_code == 200, token.text
    other_path = authorize_params("desktop", challenge, redirect_uri="http://127.0.0.1:5/other")
    assert env.http.get("/oauth2/authorize", params=other_path).status_code == 400


def test_missing_pkce_challenge_is_refused_with_redirect_error(signed_in) -> None:
    env, _, _ = signed_in
    params = authorize_params(challenge="")
    del params["code_challenge"]
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 302
    got = query_of(resp.headers["location"])
    assert got["error"] == "invalid_request"
    assert got["state"] == params["state"]


def test_plain_pkce_is_refused(signed_in) -> None:
    env, _, _ = signed_in
    verifier, _ = pkce()
    params = authorize_params(challenge=verifier, code_challenge_method="plain")
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 302
    assert query_of(resp.headers["location"])["error"] == "invalid_request"


def test_missing_code_verifier_is_refused(signed_in) -> None:
    env, _, secret = signed_in
    code, _, _ = get_code(env)
    resp = exchange(env, code, None, secret)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


def test_wrong_code_verifier_is_refused(signed_in) -> None:
    env, _, secret = signed_in
    code, _, _ = get_code(env)
    other, _ = pkce()
    resp = exchange(env, code, other, secret)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"


def test_token_request_with_other_redirect_uri_is_refused(signed_in) -> None:
    env, _, secret = signed_in
    code, verifier, _ = get_code(env)
    resp = exchange(env, code, verifier, secret, redirect_uri="https://app.example.id/other")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"


def test_code_expires(signed_in) -> None:
    env, _, secret = signed_in
    code, verifier, _ = get_code(env)
    env.clock.advance(env.config.code_ttl + 1)
    resp = exchange(env, code, verifier, secret)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"


def test_reused_code_is_refused_and_revokes_the_tokens_it_produced(signed_in) -> None:
    env, _, secret = signed_in
    code, verifier, _ = get_code(env)
    first = exchange(env, code, verifier, secret)
    assert first.status_code == 200
    tokens = first.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert env.http.get("/v1/whoami", headers=bearer).status_code == 200

    again = exchange(env, code, verifier, secret)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"

    assert env.http.get("/v1/whoami", headers=bearer).status_code == 401
    refreshed = env.http.post(
        "/oauth2/token",
        auth=("webapp", secret),
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 400


def test_code_of_one_client_cannot_be_redeemed_by_another(signed_in) -> None:
    env, _, _ = signed_in
    _, other_secret = env.client(client_id="other-app")
    code, verifier, _ = get_code(env)
    resp = exchange(env, code, verifier, other_secret, client_id="other-app")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_refused(signed_in) -> None:
    env, _, _ = signed_in
    code, verifier, _ = get_code(env)
    resp = exchange(env, code, verifier, "not-the-secret")
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"


def test_client_secret_post_is_accepted(signed_in) -> None:
    env, _, secret = signed_in
    code, verifier, _ = get_code(env)
    resp = env.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "webapp",
            "client_secret": secret,
        },
    )
    assert resp.status_code == 200, resp.text


def test_implicit_and_password_grants_are_not_offered(signed_in) -> None:
    env, _, secret = signed_in
    _, challenge = pkce()
    resp = env.http.get(
        "/oauth2/authorize", params=authorize_params(challenge=challenge, response_type="token")
    )
    assert resp.status_code == 302
    assert query_of(resp.headers["location"])["error"] == "unsupported_response_type"
    pw = env.http.post(
        "/oauth2/token",
        auth=("webapp", secret),
        data={"grant_type": "password", "username": "warga@example.id", "password": "x"},
    )
    assert pw.status_code == 400
    assert pw.json()["error"] == "unsupported_grant_type"


def test_anonymous_browser_is_sent_to_login_then_back(env) -> None:
    from tests.auth.conftest import login

    env.citizen()
    _, secret = env.client()
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge)
    resp = env.http.get("/oauth2/authorize", params=params)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")
    next_url = query_of(resp.headers["location"])["next"]
    back = login(env.http, next_url=next_url)
    assert back.status_code == 303
    assert back.headers["location"] == next_url
    final = env.http.get(next_url)
    assert final.status_code == 302
    code = query_of(final.headers["location"])["code"]
    assert exchange(env, code, verifier, secret).status_code == 200
