"""The provider on authlib's server core: an AuthorizationServer subclass, its grants and endpoints.

authlib is synchronous and framework-free here: the Starlette side (`auth.routes`) reads the
body first, packs it into `RequestData`, and calls into this module from a threadpool inside one
database transaction, reachable through `current_session()`.

What authlib leaves to us, done here: PKCE S256 only and required for every client, codes that
are single use (a replay revokes what the code produced), refresh rotation with reuse detection
that revokes the whole family, RFC 9068 JWT access tokens, signed ID tokens (never `none`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Payload,
    OAuth2Request,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from auth import keys
from auth.audit import Actor, record
from auth.browser import SignedInUser
from auth.claims import scopes_for_user, user_claims
from auth.clients import redirect_uri_matches, secret_matches
from auth.config import INTROSPECT_SCOPE, OIDC_SCOPES, AuthConfig
from auth.crypto import Cipher, digest, random_token
from auth.models import AccessTokenRecord, AuthorizationCode, Client, RefreshToken, User
from auth.tokens import AT_TYP, InvalidTokenError, sign, unverified_claims, verify

_session: ContextVar[Session] = ContextVar("auth_db_session")
CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]
CONFIDENTIAL_AUTH = ["client_secret_basic", "client_secret_post"]


def current_session() -> Session:
    return _session.get()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction, visible to the authlib callbacks through `current_session()`."""
    with factory() as session, session.begin():
        token = _session.set(session)
        try:
            yield session
        finally:
            _session.reset(token)


# ---------------------------------------------------------------- request adapter


@dataclass
class RequestData:
    """What authlib needs from an HTTP request, read up front on the async side."""

    method: str
    uri: str
    headers: dict[str, str]
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    client_ip: str | None = None


class _MultiDict(dict[str, str]):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self.lists.setdefault(key, []).append(value)
            self.setdefault(key, value)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data = _MultiDict(pairs)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._data.lists


class HubOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, data: RequestData) -> None:
        super().__init__(data.method, data.uri, headers=_Headers(data.headers))
        self._args = _MultiDict(data.query)
        self._form = _MultiDict(data.form)
        self.payload = _Payload([*data.query, *data.form] if data.method == "GET" else data.form)
        self.client_ip = data.client_ip

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Headers(dict[str, str]):
    """Case-insensitive lookup, as authlib reads `Authorization` by its canonical name."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in headers.items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


# ---------------------------------------------------------------- model views


class OAuthClient(ClientMixin):  # type: ignore[misc]
    """authlib's view of a client row; disabled clients never get this far."""

    def __init__(self, row: Client, now: datetime) -> None:
        self.row = row
        self.client_id = row.client_id
        self._now = now

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required in the authorization request

    def allowed_scopes(self) -> list[str]:
        allowed = self.row.allowed_scopes
        if "authorization_code" in self.row.grant_types:
            allowed = [*allowed, *OIDC_SCOPES]
        return list(dict.fromkeys(allowed))

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(self.row.default_scopes)
        allowed = set(self.allowed_scopes())
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self.row.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.kind == "confidential" and secret_matches(
            self.row, client_secret, self._now
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.kind == "public":
            return method == "none" and endpoint != "introspection"
        return method in CONFIDENTIAL_AUTH

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class CodeView:
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class TokenView:
    """A refresh token row or an access token record, as revocation/introspection see it."""

    def __init__(self, kind: str, row: RefreshToken | AccessTokenRecord, now: datetime) -> None:
        self.kind = kind
        self.row = row
        self._now = now

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self._now).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= self._now

    def is_revoked(self) -> bool:
        if self.row.revoked_at is not None:
            return True
        return isinstance(self.row, RefreshToken) and self.row.rotated_at is not None


# ---------------------------------------------------------------- family revocation


def revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        sql_update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        sql_update(AccessTokenRecord)
        .where(AccessTokenRecord.family_id == family_id, AccessTokenRecord.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _actor(request: Any, client_id: str | None) -> Actor:
    return Actor(f"client:{client_id}", getattr(request, "client_ip", None))


# ---------------------------------------------------------------- grants


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only, required for every client (RFC 9700 2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE 'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    RESPONSE_TYPES = {"code"}

    @property
    def hub(self) -> HubAuthorizationServer:
        server: HubAuthorizationServer = self.server
        return server

    def save_authorization_code(self, code: str, request: HubOAuth2Request) -> None:
        signed_in: SignedInUser = request.user
        data = request.payload.data
        scopes = scopes_for_user(signed_in.user, scope_to_list(request.scope) or [])
        now = self.hub.now()
        current_session().add(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                user_id=signed_in.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=" ".join(scopes),
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method="S256",
                auth_time=signed_in.auth_time,
                family_id=uuid.uuid4(),
                created_at=now,
                expires_at=now + timedelta(seconds=self.hub.config.code_ttl),
            )
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> CodeView | None:
        """Claims the code atomically; a second use revokes everything the code produced."""
        session = current_session()
        now = self.hub.now()
        claimed = session.execute(
            sql_update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == digest(code),
                AuthorizationCode.client_id == client.get_client_id(),
                AuthorizationCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        row = session.scalars(
            select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
        ).first()
        if row is None or row.client_id != client.get_client_id():
            return None
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            revoke_family(session, row.family_id, now)
            record(
                session,
                _actor(self.request, row.client_id),
                "token.code_reused",
                row.client_id,
                now,
                family=str(row.family_id),
                user=str(row.user_id),
            )
            return None
        if row.expires_at <= now:
            return None
        return CodeView(row)

    def delete_authorization_code(self, authorization_code: CodeView) -> None:
        """Nothing to do: the code was claimed (marked used) when it was looked up."""

    def authenticate_user(self, authorization_code: CodeView) -> User | None:
        user = current_session().get(User, authorization_code.row.user_id)
        return None if user is None or user.disabled else user


class HubOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens always RS256 with our active key; never `none`."""

    def __init__(self, server: HubAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.hub = server

    def exists_nonce(self, nonce: str, request: HubOAuth2Request) -> bool:
        found = (
            current_session()
            .scalars(
                select(AuthorizationCode.id).where(
                    AuthorizationCode.client_id == request.payload.client_id,
                    AuthorizationCode.nonce == nonce,
                )
            )
            .first()
        )
        return found is not None

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return "RS256"

    def resolve_client_private_key(self, client: OAuthClient) -> RSAKey:
        return self.hub.signing_key()[1]

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": self.hub.signing_key()[0], "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = int(self.hub.now().timestamp())
        return {
            "iss": self.hub.config.issuer,
            "aud": [client.get_client_id()],
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + self.hub.config.id_token_ttl,
        }

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        return user_claims(user, scope_to_list(scope) or [])


class RotatingRefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    @property
    def hub(self) -> HubAuthorizationServer:
        server: HubAuthorizationServer = self.server
        return server

    def authenticate_refresh_token(self, refresh_token: str) -> TokenView | None:
        session = current_session()
        now = self.hub.now()
        row = session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token))
        ).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if row.client_id != self.request.client.get_client_id():
            return None  # authlib then answers invalid_grant; the owner's token stays usable
        requested = set(scope_to_list(self.request.payload.scope) or [])
        if not requested <= set(scope_to_list(row.scope) or []):
            raise InvalidScopeError()  # before claiming, so a bad request does not burn it
        claimed = session.execute(
            sql_update(RefreshToken)
            .where(RefreshToken.id == row.id, RefreshToken.rotated_at.is_(None))
            .values(rotated_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            # A rotated token came back: it was stolen or replayed. Kill the whole family.
            revoke_family(session, row.family_id, now)
            record(
                session,
                _actor(self.request, row.client_id),
                "token.refresh_reused",
                row.client_id,
                now,
                family=str(row.family_id),
                user=str(row.user_id),
            )
            return None
        return TokenView("refresh_token", row, now)

    def authenticate_user(self, refresh_token: TokenView) -> User | None:
        row = refresh_token.row
        assert isinstance(row, RefreshToken)
        user = current_session().get(User, row.user_id)
        return None if user is None or user.disabled else user

    def revoke_old_credential(self, refresh_token: TokenView) -> None:
        """Nothing to do: the old token was marked rotated when it was accepted."""


class MachineGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: OAuthClient = self.request.client
        requested = scope_to_list(self.request.payload.scope) or []
        allowed = set(client.row.allowed_scopes) - set(OIDC_SCOPES)
        if any(s not in allowed for s in requested):
            raise InvalidScopeError("the client may not request these scopes")
        scopes = requested or [s for s in client.row.default_scopes if s not in OIDC_SCOPES]
        token = self.generate_token(scope=" ".join(scopes), include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


# ---------------------------------------------------------------- revocation, introspection


class _TokenLookup:
    server: HubAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenView | None:
        session = current_session()
        now = self.server.now()
        if token_type_hint != "access_token":  # noqa: S105
            row = session.scalars(
                select(RefreshToken).where(RefreshToken.token_hash == digest(token_string))
            ).first()
            if row is not None:
                return TokenView("refresh_token", row, now)
        try:
            claims = self.server.verify_jwt(token_string, typ=AT_TYP, check_exp=False)
        except InvalidTokenError:
            return None
        record_row = session.get(AccessTokenRecord, str(claims.get("jti")))
        return TokenView("access_token", record_row, now) if record_row else None


class HubRevocation(_TokenLookup, RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def authenticate_token(self, request: HubOAuth2Request, client: OAuthClient) -> Any:
        # RFC 7009 2.2: a token of another client is simply not revoked, with a 200.
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token: TokenView, request: HubOAuth2Request) -> None:
        session = current_session()
        now = self.server.now()
        if isinstance(token.row, RefreshToken):
            revoke_family(session, token.row.family_id, now)
        else:
            token.row.revoked_at = now
        record(
            session,
            _actor(request, token.row.client_id),
            "token.revoked",
            token.row.client_id,
            now,
            kind=token.kind,
        )


class HubIntrospection(_TokenLookup, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def check_permission(
        self, token: TokenView, client: OAuthClient, request: HubOAuth2Request
    ) -> bool:
        return token.check_client(client) or INTROSPECT_SCOPE in client.row.allowed_scopes

    def introspect_token(self, token: TokenView) -> dict[str, Any]:
        row = token.row
        subject = row.subject if isinstance(row, AccessTokenRecord) else str(row.user_id)
        issued = row.issued_at
        return {
            "active": True,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "scope": row.scope,
            "client_id": row.client_id,
            "sub": subject,
            "iss": self.server.config.issuer,
            "aud": self.server.config.api_audience,
            "exp": int(row.expires_at.timestamp()),
            "iat": int(issued.timestamp()),
            **({"jti": row.jti} if isinstance(row, AccessTokenRecord) else {}),
        }


# ---------------------------------------------------------------- the server


class HubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, config: AuthConfig, cipher: Cipher) -> None:
        super().__init__(scopes_supported=config.scopes_supported)
        self.config = config
        self.cipher = cipher
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [S256CodeChallenge(required=True), HubOpenIDCode(self)])
        self.register_grant(RotatingRefreshGrant)
        self.register_grant(MachineGrant)
        self.register_endpoint(HubRevocation)
        self.register_endpoint(HubIntrospection)

    def now(self) -> datetime:
        return self.config.clock()

    def signing_key(self) -> tuple[str, RSAKey]:
        return keys.active_key(current_session(), self.cipher, self.now())

    def verify_jwt(self, token: str, *, typ: str | None, check_exp: bool = True) -> dict[str, Any]:
        keyset = keys.public_keyset(current_session(), self.now())
        audience = self.config.api_audience if typ == AT_TYP else None
        return verify(
            token,
            keyset,
            issuer=self.config.issuer,
            audience=audience,
            now=int(self.now().timestamp()),
            typ=typ,
            check_exp=check_exp,
        )

    # -- authlib hooks

    def query_client(self, client_id: str | None) -> OAuthClient | None:
        if not client_id:
            return None
        row = current_session().scalars(select(Client).where(Client.client_id == client_id)).first()
        if row is None or row.disabled:
            return None
        return OAuthClient(row, self.now())

    def create_oauth2_request(self, request: Any) -> HubOAuth2Request:
        if isinstance(request, HubOAuth2Request):
            return request
        assert isinstance(request, RequestData)
        return HubOAuth2Request(request)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("JSON requests are not used by this provider")

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        header_map = dict(headers)
        if isinstance(body, dict):
            header_map.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=header_map)
        return Response(body, status_code=status, headers=header_map)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def validate_requested_scope(self, scope: str | None) -> None:
        if scope and not set(scope_to_list(scope)) <= set(self.config.scopes_supported):
            raise InvalidScopeError()

    def _generate_token(
        self,
        grant_type: str,
        client: OAuthClient,
        user: User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        now = self.now()
        ttl = client.row.access_token_ttl or self.config.access_token_ttl
        iat = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "aud": self.config.api_audience,
            "client_id": client.get_client_id(),
            "iat": iat,
            "exp": iat + ttl,
            "jti": random_token(16),
            "scope": scope or "",
        }
        if user is not None:
            claims.update(sub=str(user.id), kind="user", opd=user.opd, roles=list(user.roles))
        else:
            claims.update(sub=client.get_client_id(), kind="client", opd=client.row.opd, roles=[])
        kid, key = self.signing_key()
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": sign(key, kid, claims, typ=AT_TYP),
            "expires_in": ttl,
            "scope": scope or "",
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = random_token(32)
        return token

    def save_token(self, token: dict[str, Any], request: HubOAuth2Request) -> None:
        session = current_session()
        now = self.now()
        client: OAuthClient = request.client
        family_id: uuid.UUID | None = None
        parent: RefreshToken | None = None
        auth_time: datetime | None = None
        if request.authorization_code is not None:
            code: AuthorizationCode = request.authorization_code.row
            family_id, auth_time = code.family_id, code.auth_time
        elif request.refresh_token is not None:
            parent = request.refresh_token.row
            assert isinstance(parent, RefreshToken)
            family_id, auth_time = parent.family_id, parent.auth_time
        claims = unverified_claims(token["access_token"])
        user: User | None = request.user
        session.add(
            AccessTokenRecord(
                jti=claims["jti"],
                client_id=client.get_client_id(),
                subject=claims["sub"],
                user_id=user.id if user is not None else None,
                family_id=family_id,
                scope=token.get("scope", ""),
                issued_at=now,
                expires_at=now + timedelta(seconds=int(token["expires_in"])),
            )
        )
        if "refresh_token" in token and user is not None and family_id is not None:
            ttl = client.row.refresh_token_ttl or self.config.refresh_token_ttl
            session.add(
                RefreshToken(
                    token_hash=digest(token["refresh_token"]),
                    client_id=client.get_client_id(),
                    user_id=user.id,
                    scope=token.get("scope", ""),
                    family_id=family_id,
                    parent_id=parent.id if parent is not None else None,
                    auth_time=auth_time,
                    issued_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )


__all__ = [
    "HubAuthorizationServer",
    "RequestData",
    "current_session",
    "revoke_family",
    "unit_of_work",
]
