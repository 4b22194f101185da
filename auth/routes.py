"""The provider's HTTP surface: the thin Starlette adapter around `HubAuthorizationServer`.

Each handler reads the whole request first (query, form, headers, cookies), then runs the
synchronous authlib server in a threadpool inside one database transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749 import OAuth2Error, scope_to_list
from authlib.oidc.core.errors import ConsentRequiredError
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from auth import keys
from auth.audit import Actor, record
from auth.browser import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Csrf,
    SignedInUser,
    end_session,
    load_session,
    start_session,
)
from auth.claims import user_claims
from auth.config import AuthConfig
from auth.guard import AccessTokenVerifier, bearer_token, unauthorized
from auth.models import Client, ConsentGrant, User
from auth.problems import AuthProblem
from auth.server import HubAuthorizationServer, RequestData, current_session, unit_of_work
from auth.tokens import InvalidTokenError
from auth.users import LoginPolicy, LoginRefused, UserError, authenticate, register_citizen

T = TypeVar("T")

PATHS = {
    "authorize": "/oauth2/authorize",
    "token": "/oauth2/token",
    "userinfo": "/oauth2/userinfo",
    "jwks": "/oauth2/jwks",
    "revoke": "/oauth2/revoke",
    "introspect": "/oauth2/introspect",
    "logout": "/oauth2/logout",
    "login": "/login",
    "register": "/register",
}

_templates = Environment(
    loader=PackageLoader("auth", "templates"),
    autoescape=select_autoescape(["html"]),
)
HTML_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
LOGIN_MESSAGES = {
    "bad_credentials": "E-mail/nomor HP atau kata sandi salah. / Wrong login or password.",
    "locked": "Terlalu banyak percobaan gagal; akun dikunci sementara. Coba lagi nanti. / "
    "Too many failed attempts; the account is locked for a while. Try again later.",
    "rate_limited": "Terlalu banyak percobaan dari alamat ini. Coba lagi nanti. / "
    "Too many attempts from this address. Try again later.",
    "disabled": "Akun ini dinonaktifkan. / This account is disabled.",
}
CSRF_FAILED = (
    "Formulir kedaluwarsa atau tidak sah; muat ulang halaman. / "
    "The form expired or is not valid; reload the page."
)


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=HTML_HEADERS)


def message_page(
    status: int, title: tuple[str, str], message: str, message_en: str = "", **extra: Any
) -> HTMLResponse:
    return render(
        "message.html",
        status,
        title=title[0],
        title_en=title[1],
        message=message,
        message_en=message_en,
        **extra,
    )


def safe_next(value: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value


@dataclass
class Browser:
    """Cookies of the browser, and cookies to set on the way out."""

    session: str | None
    csrf: str | None


class Provider:
    def __init__(
        self,
        config: AuthConfig,
        factory: sessionmaker[Session],
        server: HubAuthorizationServer,
        verifier: AccessTokenVerifier,
    ) -> None:
        self.config = config
        self.factory = factory
        self.server = server
        self.verifier = verifier
        self.csrf = Csrf(config.secret_key)
        self.policy = LoginPolicy.from_config(config)

    # ------------------------------------------------------------ plumbing

    async def read(self, request: Request) -> RequestData:
        form: list[tuple[str, str]] = []
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                parsed = await request.form()
                form = [(k, v) for k, v in parsed.multi_items() if isinstance(v, str)]
        issuer = urlsplit(self.config.issuer)
        uri = f"{issuer.scheme}://{issuer.netloc}{request.url.path}"
        if request.url.query:
            uri += "?" + request.url.query
        return RequestData(
            method=request.method,
            uri=uri,
            headers=dict(request.headers),
            query=list(request.query_params.multi_items()),
            form=form,
            client_ip=request.client.host if request.client else None,
        )

    async def in_transaction(self, fn: Callable[[], T]) -> T:
        def work() -> T:
            with unit_of_work(self.factory):
                return fn()

        return await run_in_threadpool(work)

    def path(self, name: str, request: Request) -> str:
        """Absolute path of one of our routes (the router is mounted at the issuer's path)."""
        return urlsplit(self.config.issuer).path + PATHS[name]

    def csrf_pair(self, browser: Browser) -> tuple[str, str, bool]:
        """(cookie, token, cookie_is_new)."""
        if browser.csrf:
            return browser.csrf, self.csrf.token_for(browser.csrf), False
        cookie = self.csrf.new_cookie()
        return cookie, self.csrf.token_for(cookie), True

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            secure=self.config.secure_cookies,
            samesite="lax",
            path="/",
        )

    def with_csrf_cookie(self, response: Response, cookie: str, new: bool) -> Response:
        if new:
            self.set_cookie(response, CSRF_COOKIE, cookie, 12 * 3600)
        return response

    @staticmethod
    def browser(request: Request) -> Browser:
        return Browser(request.cookies.get(SESSION_COOKIE), request.cookies.get(CSRF_COOKIE))

    # ------------------------------------------------------------ metadata

    def metadata(self) -> dict[str, Any]:
        url = self.config.url
        return {
            "issuer": self.config.issuer,
            "authorization_endpoint": url(PATHS["authorize"]),
            "token_endpoint": url(PATHS["token"]),
            "userinfo_endpoint": url(PATHS["userinfo"]),
            "jwks_uri": url(PATHS["jwks"]),
            "revocation_endpoint": url(PATHS["revoke"]),
            "introspection_endpoint": url(PATHS["introspect"]),
            "end_session_endpoint": url(PATHS["logout"]),
            "scopes_supported": self.config.scopes_supported,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["none"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "introspection_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "at_hash",
                "name",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                "updated_at",
                "user_kind",
                "opd",
                "roles",
            ],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "ui_locales_supported": ["id", "en"],
        }

    async def jwks(self) -> JSONResponse:
        def load() -> dict[str, Any]:
            return keys.jwks(current_session(), self.config.clock())

        body = await self.in_transaction(load)
        if not body["keys"]:
            # First start: make the first key, so relying parties never see an empty set.
            def create() -> dict[str, Any]:
                keys.active_key(current_session(), self.server.cipher, self.config.clock())
                return keys.jwks(current_session(), self.config.clock())

            body = await self.in_transaction(create)
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})

    # ------------------------------------------------------------ token-side endpoints

    async def token(self, request: Request) -> Response:
        data = await self.read(request)
        response: Response = await self.in_transaction(
            lambda: self.server.create_token_response(data)
        )
        return response

    async def revoke(self, request: Request) -> Response:
        data = await self.read(request)
        response: Response = await self.in_transaction(
            lambda: self.server.create_endpoint_response("revocation", data)
        )
        return response

    async def introspect(self, request: Request) -> Response:
        data = await self.read(request)
        response: Response = await self.in_transaction(
            lambda: self.server.create_endpoint_response("introspection", data)
        )
        return response

    async def userinfo(self, request: Request) -> Response:
        """GET and POST (RFC 6750 header, or `access_token` in a POST form body)."""
        data = await self.read(request)
        token = bearer_token(request)
        if token is None:
            token = dict(data.form).get("access_token")
        if not token:
            raise unauthorized("a bearer token is required", error=None)
        try:
            principal = await run_in_threadpool(self.verifier.verify, token)
        except InvalidTokenError as exc:
            raise unauthorized(str(exc)) from exc
        if principal.kind != "user" or "openid" not in principal.scopes:
            raise AuthProblem(
                403,
                "insufficient_scope",
                "Akses ditolak / Forbidden",
                "userinfo needs a user's token with the 'openid' scope",
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
            )

        def load() -> dict[str, Any] | None:
            user = (
                current_session()
                .scalars(select(User).where(User.id == _uuid(principal.subject)))
                .first()
            )
            return None if user is None or user.disabled else user_claims(user, principal.scopes)

        claims = await self.in_transaction(load)
        if claims is None:
            raise unauthorized("the user no longer exists")
        return JSONResponse(claims, headers={"Cache-Control": "no-store"})

    # ------------------------------------------------------------ authorization endpoint

    async def authorize(self, request: Request) -> Response:
        data = await self.read(request)
        browser = self.browser(request)
        login_path = self.path("login", request)
        authorize_path = self.path("authorize", request)

        if data.method == "POST":
            form = dict(data.form)
            if not self.csrf.valid(browser.csrf, form.get("csrf_token")):
                return message_page(403, ("Ditolak", "Refused"), CSRF_FAILED)
            decision = form.get("decision")
            data.form = [(k, v) for k, v in data.form if k not in ("csrf_token", "decision")]
        else:
            decision = None

        def flow() -> Response:
            return self._authorize_flow(data, browser, decision, login_path, authorize_path)

        response = await self.in_transaction(flow)
        return response

    def _authorize_flow(
        self,
        data: RequestData,
        browser: Browser,
        decision: str | None,
        login_path: str,
        authorize_path: str,
    ) -> Response:
        session = current_session()
        now = self.config.clock()
        params = dict(data.query if data.method == "GET" else data.form)
        signed_in = load_session(session, browser.session, now)
        prompts = set(params.get("prompt", "").split())
        fresh_required = signed_in is not None and "login" in prompts and data.method == "GET"
        max_age = params.get("max_age")
        if signed_in is not None and max_age:
            try:
                if now - signed_in.auth_time > timedelta(seconds=int(max_age)):
                    fresh_required = True
            except ValueError:
                return message_page(
                    400,
                    ("Permintaan tidak sah", "Invalid request"),
                    "max_age harus berupa bilangan bulat.",
                    "max_age must be an integer.",
                )
        end_user = None if fresh_required else signed_in

        try:
            grant = self.server.get_consent_grant(data, end_user=end_user)
        except OAuth2Error as error:
            return self._authorize_error(error)

        if end_user is None:  # prompt=none without a session was refused above
            again = [
                (k, v if k != "prompt" else " ".join(p for p in v.split() if p != "login"))
                for k, v in (data.query if data.method == "GET" else data.form)
            ]
            # The login about to happen satisfies prompt=login and max_age; dropping them
            # from the way back avoids a loop (max_age=0 would otherwise never be met).
            again = [(k, v) for k, v in again if not (k == "prompt" and not v) and k != "max_age"]
            next_url = authorize_path + "?" + urlencode(again)
            return RedirectResponse(login_path + "?" + urlencode({"next": next_url}), 303)

        client = grant.request.client
        requested = scope_to_list(grant.request.scope) or []
        if decision == "deny":
            return self._finish(data, grant, None)
        if decision != "allow" and self._needs_consent(
            session, client.row, end_user, requested, prompts
        ):
            if "none" in prompts:
                err = ConsentRequiredError(redirect_uri=grant.redirect_uri)
                err.state = params.get("state")
                return self._authorize_error(err)
            cookie, token, new = self.csrf_pair(browser)
            page = render(
                "consent.html",
                title="Persetujuan akses",
                title_en="Grant access",
                client_name=client.row.name,
                scopes=requested,
                action=authorize_path,
                csrf_token=token,
                params=[(k, v) for k, v in params.items()],
            )
            return self.with_csrf_cookie(page, cookie, new)
        if decision == "allow":
            self._remember_consent(session, client.row.client_id, end_user, requested)
        return self._finish(data, grant, end_user)

    def _finish(self, data: RequestData, grant: Any, end_user: SignedInUser | None) -> Response:
        response: Response = self.server.create_authorization_response(
            data, grant_user=end_user, grant=grant
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def _needs_consent(
        self,
        session: Session,
        client: Client,
        user: SignedInUser,
        requested: list[str],
        prompts: set[str],
    ) -> bool:
        if client.first_party:
            return False
        wanted = set(requested) - {"openid"}
        if not wanted:
            return False
        if "consent" in prompts:
            return True
        grant = session.scalars(
            select(ConsentGrant).where(
                ConsentGrant.user_id == user.user.id, ConsentGrant.client_id == client.client_id
            )
        ).first()
        return grant is None or not wanted <= set(grant.scopes)

    def _remember_consent(
        self, session: Session, client_id: str, user: SignedInUser, scopes: list[str]
    ) -> None:
        now = self.config.clock()
        grant = session.scalars(
            select(ConsentGrant).where(
                ConsentGrant.user_id == user.user.id, ConsentGrant.client_id == client_id
            )
        ).first()
        if grant is None:
            session.add(
                ConsentGrant(
                    user_id=user.user.id, client_id=client_id, scopes=scopes, granted_at=now
                )
            )
        else:
            grant.scopes = sorted(set(grant.scopes) | set(scopes))
            grant.granted_at = now
        record(
            session, Actor(f"user:{user.user.id}"), "consent.granted", client_id, now, scopes=scopes
        )

    def _authorize_error(self, error: OAuth2Error) -> Response:
        """Errors go back to the client only once its redirect URI is known to be registered."""
        if error.redirect_uri:
            response: Response = self.server.handle_error_response(None, error)
            return response
        return message_page(
            400,
            ("Permintaan tidak sah", "Invalid request"),
            "Aplikasi ini mengirim permintaan masuk yang tidak sah; kami tidak mengalihkan Anda "
            "kembali ke aplikasi tersebut.",
            f"The application sent an invalid sign-in request ({error.error}: "
            f"{error.description or ''}); you were not sent back to it.",
        )

    # ------------------------------------------------------------ login, register, logout

    async def login_form(self, request: Request) -> Response:
        browser = self.browser(request)
        cookie, token, new = self.csrf_pair(browser)
        page = render(
            "login.html",
            title="Masuk",
            title_en="Sign in",
            action=self.path("login", request),
            register_url=self.path("register", request)
            + "?"
            + urlencode({"next": safe_next(request.query_params.get("next")) or ""}),
            csrf_token=token,
            next=safe_next(request.query_params.get("next")) or "",
            identifier="",
            error=None,
        )
        return self.with_csrf_cookie(page, cookie, new)

    async def login(self, request: Request) -> Response:
        data = await self.read(request)
        form = dict(data.form)
        browser = self.browser(request)
        next_url = safe_next(form.get("next"))
        if not self.csrf.valid(browser.csrf, form.get("csrf_token")):
            return message_page(403, ("Ditolak", "Refused"), CSRF_FAILED)
        identifier = form.get("identifier", "")
        password = form.get("password", "")

        def check() -> tuple[str | None, LoginRefused | None]:
            now = self.config.clock()
            try:
                user = authenticate(
                    current_session(),
                    identifier,
                    password,
                    ip=data.client_ip or "unknown",
                    now=now,
                    policy=self.policy,
                )
            except LoginRefused as refused:
                return None, refused
            return start_session(current_session(), user, now, self.config.session_ttl), None

        raw, refused = await self.in_transaction(check)
        if refused is not None or raw is None:
            assert refused is not None
            status = 429 if refused.reason in ("locked", "rate_limited") else 401
            cookie, token, new = self.csrf_pair(browser)
            page = render(
                "login.html",
                status,
                title="Masuk",
                title_en="Sign in",
                action=self.path("login", request),
                register_url=self.path("register", request),
                csrf_token=token,
                next=next_url or "",
                identifier=identifier,
                error=LOGIN_MESSAGES[refused.reason],
            )
            if refused.retry_after:
                page.headers["Retry-After"] = str(refused.retry_after)
            return self.with_csrf_cookie(page, cookie, new)
        return self._signed_in(raw, next_url)

    def _signed_in(self, raw: str, next_url: str | None) -> Response:
        response: Response
        if next_url:
            response = RedirectResponse(next_url, 303)
        else:
            response = message_page(
                200, ("Berhasil masuk", "Signed in"), "Anda sudah masuk.", "You are signed in."
            )
        self.set_cookie(response, SESSION_COOKIE, raw, self.config.session_ttl)
        return response

    async def register_form(self, request: Request) -> Response:
        cookie, token, new = self.csrf_pair(self.browser(request))
        page = render(
            "register.html",
            title="Daftar",
            title_en="Register",
            action=self.path("register", request),
            csrf_token=token,
            next=safe_next(request.query_params.get("next")) or "",
            form={"name": "", "email": "", "phone": ""},
            error=None,
        )
        return self.with_csrf_cookie(page, cookie, new)

    async def register(self, request: Request) -> Response:
        data = await self.read(request)
        form = dict(data.form)
        browser = self.browser(request)
        if not self.csrf.valid(browser.csrf, form.get("csrf_token")):
            return message_page(403, ("Ditolak", "Refused"), CSRF_FAILED)
        next_url = safe_next(form.get("next"))

        def create() -> tuple[str | None, str | None]:
            now = self.config.clock()
            try:
                user = register_citizen(
                    current_session(),
                    name=form.get("name", ""),
                    password=form.get("password", ""),
                    email=form.get("email") or None,
                    phone=form.get("phone") or None,
                    ip=data.client_ip,
                    now=now,
                )
            except UserError as exc:
                return None, str(exc)
            return start_session(current_session(), user, now, self.config.session_ttl), None

        raw, problem = await self.in_transaction(create)
        if raw is None:
            cookie, token, new = self.csrf_pair(browser)
            page = render(
                "register.html",
                400,
                title="Daftar",
                title_en="Register",
                action=self.path("register", request),
                csrf_token=token,
                next=next_url or "",
                form={k: form.get(k, "") for k in ("name", "email", "phone")},
                error=problem,
            )
            return self.with_csrf_cookie(page, cookie, new)
        return self._signed_in(raw, next_url)

    async def logout(self, request: Request) -> Response:
        """RP-initiated logout: with a valid id_token_hint at once, otherwise after a confirm."""
        data = await self.read(request)
        browser = self.browser(request)
        params = dict(data.query if data.method == "GET" else data.form)
        confirmed = False
        if data.method == "POST":
            if not self.csrf.valid(browser.csrf, params.get("csrf_token")):
                return message_page(403, ("Ditolak", "Refused"), CSRF_FAILED)
            confirmed = True
        hint = params.get("id_token_hint")
        redirect = params.get("post_logout_redirect_uri")

        def check() -> tuple[str | None, str | None, bool]:
            """(error, client_id, hint_valid)"""
            client_id = params.get("client_id")
            hint_ok = False
            if hint:
                try:
                    claims = self.server.verify_jwt(hint, typ=None, check_exp=False)
                except InvalidTokenError:
                    return "id_token_hint is not valid", None, False
                aud = claims.get("aud")
                hinted = aud[0] if isinstance(aud, list) and aud else aud
                if client_id and hinted != client_id:
                    return "client_id does not match id_token_hint", None, False
                client_id, hint_ok = str(hinted), True
            if redirect:
                row = (
                    current_session()
                    .scalars(select(Client).where(Client.client_id == (client_id or "")))
                    .first()
                )
                if row is None or redirect not in row.post_logout_redirect_uris:
                    return "post_logout_redirect_uri is not registered", client_id, hint_ok
            return None, client_id, hint_ok

        error, client_id, hint_ok = await self.in_transaction(check)
        if error:
            return message_page(
                400,
                ("Permintaan tidak sah", "Invalid request"),
                "Permintaan keluar tidak sah.",
                error,
            )
        if not (hint_ok or confirmed):
            cookie, token, new = self.csrf_pair(browser)
            keep = [(k, v) for k, v in params.items() if k != "csrf_token"]
            page = message_page(
                200,
                ("Keluar", "Sign out"),
                "Keluar dari Lampung-In?",
                "Sign out of Lampung-In?",
                form_action=self.path("logout", request),
                csrf_token=token,
                params=keep,
                button="Keluar / Sign out",
            )
            return self.with_csrf_cookie(page, cookie, new)

        def finish() -> None:
            now = self.config.clock()
            row = end_session(current_session(), browser.session, now)
            if row is not None:
                record(
                    current_session(),
                    Actor(f"user:{row.user_id}", data.client_ip),
                    "logout",
                    client_id,
                    now,
                )

        await self.in_transaction(finish)
        response: Response
        if redirect:
            state = params.get("state")
            target = redirect + (
                ("&" if "?" in redirect else "?") + urlencode({"state": state}) if state else ""
            )
            response = RedirectResponse(target, 303)
        else:
            response = message_page(
                200, ("Sudah keluar", "Signed out"), "Anda sudah keluar.", "You are signed out."
            )
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------ router

    def router(self) -> APIRouter:
        router = APIRouter(tags=["sso"])

        @router.get("/.well-known/openid-configuration", include_in_schema=False)
        @router.get("/.well-known/oauth-authorization-server", include_in_schema=False)
        async def discovery() -> JSONResponse:
            return JSONResponse(self.metadata(), headers={"Cache-Control": "public, max-age=300"})

        router.add_api_route(PATHS["jwks"], self.jwks, methods=["GET"], include_in_schema=False)
        router.add_api_route("/jwks.json", self.jwks, methods=["GET"], include_in_schema=False)
        router.add_api_route(
            PATHS["authorize"], self.authorize, methods=["GET", "POST"], include_in_schema=False
        )
        router.add_api_route(PATHS["token"], self.token, methods=["POST"], include_in_schema=False)
        router.add_api_route(
            PATHS["userinfo"], self.userinfo, methods=["GET", "POST"], include_in_schema=False
        )
        router.add_api_route(
            PATHS["revoke"], self.revoke, methods=["POST"], include_in_schema=False
        )
        router.add_api_route(
            PATHS["introspect"], self.introspect, methods=["POST"], include_in_schema=False
        )
        router.add_api_route(
            PATHS["logout"], self.logout, methods=["GET", "POST"], include_in_schema=False
        )
        router.add_api_route(
            PATHS["login"], self.login_form, methods=["GET"], include_in_schema=False
        )
        router.add_api_route(PATHS["login"], self.login, methods=["POST"], include_in_schema=False)
        router.add_api_route(
            PATHS["register"], self.register_form, methods=["GET"], include_in_schema=False
        )
        router.add_api_route(
            PATHS["register"], self.register, methods=["POST"], include_in_schema=False
        )
        return router


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
