"""The login and registration pages: CSRF, lockout, rate limit, audit of login events."""

from __future__ import annotations

from sqlalchemy import select

from auth.audit import recent
from auth.models import User
from tests.auth.conftest import PASSWORD, Env, csrf_from, login


def test_login_page_is_a_bilingual_form_with_csrf_token(env: Env) -> None:
    page = env.http.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Kata sandi" in page.text and "Password" in page.text
    assert 'method="post"' in page.text
    assert csrf_from(page.text)
    assert page.headers["x-frame-options"] == "DENY"


def test_login_without_or_with_forged_csrf_token_is_refused(env: Env) -> None:
    env.citizen()
    no_token = env.http.post(
        "/login", data={"identifier": "warga@example.id", "password": PASSWORD}
    )
    assert no_token.status_code == 403
    env.http.get("/login")  # gets a CSRF cookie
    forged = env.http.post(
        "/login",
        data={"identifier": "warga@example.id", "password": PASSWORD, "csrf_token": "0" * 64},
    )
    assert forged.status_code == 403
    assert "hub_sso" not in env.http.cookies


def test_csrf_token_is_bound_to_the_browser_cookie(env: Env) -> None:
    env.citizen()
    token = csrf_from(env.http.get("/login").text)
    env.http.cookies.clear()
    env.http.cookies.set("hub_csrf", "attacker-chosen-value")
    resp = env.http.post(
        "/login", data={"identifier": "warga@example.id", "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 403


def test_login_by_email_or_phone(env: Env) -> None:
    env.citizen(email="budi@example.id", phone="+62 812 1111 2222")
    assert login(env.http, "BUDI@example.id").status_code == 200
    env.http.cookies.clear()
    assert login(env.http, "0812-1111-2222").status_code == 200


def test_wrong_password_gives_401_with_the_same_message_as_unknown_user(env: Env) -> None:
    env.citizen()
    wrong = login(env.http, password="salah-salah-salah")
    unknown = login(env.http, identifier="nobody@example.id")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong login or password" in wrong.text and "Wrong login or password" in unknown.text
    assert "hub_sso" not in env.http.cookies


def test_lockout_after_repeated_failures_even_for_the_right_password(env: Env) -> None:
    env.citizen()
    for _ in range(env.config.login_max_failures):
        assert login(env.http, password="salah-salah-salah").status_code == 401
    locked = login(env.http)
    assert locked.status_code == 429
    assert "locked" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    env.clock.advance(env.config.lockout_seconds + 1)
    assert login(env.http).status_code == 200
    with env.factory() as s:
        actions = [e.action for e in recent(s, 50)]
    assert "login.locked" in actions and "login.failed" in actions
    assert "login.succeeded" in actions


def test_success_resets_the_failure_count(env: Env) -> None:
    env.citizen()
    for _ in range(env.config.login_max_failures - 1):
        login(env.http, password="salah-salah-salah")
    assert login(env.http).status_code == 200
    for _ in range(env.config.login_max_failures - 1):
        login(env.http, password="salah-salah-salah")
    assert login(env.http).status_code == 200


def test_rate_limit_per_address_across_accounts(env: Env) -> None:
    for i in range(env.config.ip_rate_limit):
        login(env.http, identifier=f"user{i}@example.id", password="salah-salah-salah")
    resp = login(env.http, identifier="another@example.id", password="salah-salah-salah")
    assert resp.status_code == 429
    assert "Too many attempts from this address" in resp.text


def test_disabled_user_cannot_sign_in(env: Env) -> None:
    user_id = env.citizen()
    with env.factory() as s, s.begin():
        user = s.scalars(select(User)).one()
        assert str(user.id) == user_id
        user.disabled = True
    assert login(env.http).status_code == 401


def test_next_parameter_cannot_redirect_off_site(env: Env) -> None:
    env.citizen()
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        env.http.cookies.clear()
        resp = login(env.http, next_url=evil)
        assert resp.status_code == 200, evil
        assert "location" not in resp.headers


def test_citizen_self_registration_signs_in_and_hashes_the_password(env: Env) -> None:
    page = env.http.get("/register", params={"next": "/oauth2/authorize?x=1"})
    assert page.status_code == 200
    resp = env.http.post(
        "/register",
        data={
            "name": "Siti Aminah",
            "email": "siti@example.id",
            "phone": "081299998888",
            "password": "rahasia-siti-2026",
            "csrf_token": csrf_from(page.text),
            "next": "/oauth2/authorize?x=1",
        },
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/oauth2/authorize?x=1"
    assert "hub_sso" in resp.cookies
    with env.factory() as s:
        user = s.scalars(select(User).where(User.email == "siti@example.id")).one()
        assert user.kind == "citizen" and user.phone == "+6281299998888"
        assert user.password_hash.startswith("$argon2id$")
        assert "rahasia-siti-2026" not in user.password_hash


def test_registration_refuses_duplicates_weak_passwords_and_missing_contact(env: Env) -> None:
    env.citizen()
    for data, message in (
        (
            {"name": "A", "email": "warga@example.id", "password": "cukup-panjang-123"},
            "already registered",
        ),
        ({"name": "A", "email": "a@example.id", "password": "pendek"}, "at least 10"),
        ({"name": "A", "password": "cukup-panjang-123"}, "e-mail or a phone"),
        ({"name": "A", "phone": "12", "password": "cukup-panjang-123"}, "invalid phone"),
    ):
        page = env.http.get("/register")
        resp = env.http.post("/register", data={**data, "csrf_token": csrf_from(page.text)})
        assert resp.status_code == 400, data
        assert message in resp.text, data


def test_registration_without_csrf_is_refused(env: Env) -> None:
    resp = env.http.post(
        "/register", data={"name": "A", "email": "a@example.id", "password": "cukup-panjang-123"}
    )
    assert resp.status_code == 403
