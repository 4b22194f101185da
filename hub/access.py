"""Who may call what: every endpoint declares its access here, and one dependency enforces it.

The hub's single sign-on (package `auth`) plugs in as the `Authenticator` that turns a bearer
token into a `Principal`; without a token the caller is anonymous and gets public data only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

from auth.config import ADMIN_SCOPE, DEFAULT_API_SCOPES
from auth.guard import AccessTokenVerifier, bearer_token
from auth.guard import Principal as TokenPrincipal
from auth.tokens import InvalidTokenError
from hub.problems import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    subject: str | None  # SSO subject (user id) or client id for machine clients
    kind: str = "anonymous"  # anonymous | citizen | asn | client
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    opd: str | None = None  # institution code for ASN users and OPD clients
    client_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    @property
    def idempotency_scope(self) -> str:
        return f"{self.kind}:{self.client_id or ''}:{self.subject or ''}"


API_SCOPES = DEFAULT_API_SCOPES  # what the SSO issues for this API; ENDPOINTS uses only these

ANONYMOUS = Principal(subject=None)


class Authenticator(Protocol):
    def __call__(self, request: Request) -> Principal: ...


def anonymous_only(request: Request) -> Principal:
    """Used until an SSO verifier is configured: any presented token is refused, never trusted."""
    if request.headers.get("authorization"):
        raise Unauthorized(
            "This hub has no token verifier configured.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return ANONYMOUS


def _from_token(claims: TokenPrincipal) -> Principal:
    if claims.kind == "client":
        kind = "client"
    elif claims.opd or claims.roles & {"opd_staff", "opd_admin", "hub_admin"}:
        kind = "asn"
    else:
        kind = "citizen"
    return Principal(
        subject=claims.subject,
        kind=kind,
        scopes=claims.scopes,
        roles=claims.roles,
        opd=claims.opd,
        client_id=claims.client_id,
    )


class TokenAuthenticator:
    """Bearer tokens issued by the hub's SSO (RFC 9068 JWTs, checked offline plus revocation)."""

    def __init__(self, verifier: AccessTokenVerifier) -> None:
        self._verifier = verifier

    def verify(self, token: str) -> Principal | None:
        try:
            return _from_token(self._verifier.verify(token))
        except InvalidTokenError:
            return None

    def __call__(self, request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            return ANONYMOUS
        try:
            return _from_token(self._verifier.verify(token))
        except InvalidTokenError as exc:
            raise Unauthorized(
                f"The bearer token is not valid: {exc}",
                headers={
                    "WWW-Authenticate": 'Bearer realm="lampung-in-hub", error="invalid_token"'
                },
            ) from exc


@dataclass(frozen=True)
class Access:
    """An endpoint's access rule: the scope a token needs; may anonymous callers come?"""

    scope: str | None
    anonymous: bool = False
    description: str = ""


# The one place that says who may call which endpoint (method, path template) -> access.
ENDPOINTS: dict[tuple[str, str], Access] = {
    ("POST", "/v1/complaints"): Access(
        "complaints:write",
        anonymous=True,
        description="Anyone may file a report; a signed-in citizen's report is linked to them.",
    ),
    ("GET", "/v1/complaints"): Access(
        "complaints:read",
        anonymous=True,
        description="Anonymous callers see public reports without personal data.",
    ),
    ("GET", "/v1/complaints/{complaint_id}"): Access(
        "complaints:read",
        anonymous=True,
        description="The reporter, the assigned OPD and admins see it in full; others publicly.",
    ),
    ("GET", "/v1/complaints/{complaint_id}/personal-data-access"): Access(
        "complaints:read", description="The reporter (their right to know) and hub admins."
    ),
    ("GET", "/v1/categories"): Access(None, anonymous=True),
    ("GET", "/v1/connectors"): Access("connectors:read", description="Installed connector types."),
    ("GET", "/v1/connector-instances"): Access(
        "connectors:read", description="An OPD sees its own instances; admins see all."
    ),
    ("POST", "/v1/connector-instances"): Access(
        "connectors:write", description="OPD developers for their own OPD; hub admins."
    ),
    ("GET", "/v1/connector-instances/{instance_id}"): Access("connectors:read"),
    ("PATCH", "/v1/connector-instances/{instance_id}"): Access("connectors:write"),
    ("POST", "/v1/connector-instances/{instance_id}/check"): Access("connectors:write"),
    ("POST", "/v1/connector-instances/{instance_id}/enable"): Access("connectors:write"),
    ("POST", "/v1/connector-instances/{instance_id}/disable"): Access("connectors:write"),
    ("POST", "/v1/services/{service_id}/{operation}"): Access(
        "services:call", description="The super-app and other signed-in clients."
    ),
    ("GET", "/v1/institutions"): Access(None, anonymous=True),
    # Single sign-on administration (enforced by auth.guard with the same scope).
    ("GET", "/admin/sso/clients"): Access(ADMIN_SCOPE),
    ("POST", "/admin/sso/clients"): Access(ADMIN_SCOPE),
    ("GET", "/admin/sso/clients/{client_id}"): Access(ADMIN_SCOPE),
    ("PATCH", "/admin/sso/clients/{client_id}"): Access(ADMIN_SCOPE),
    ("POST", "/admin/sso/clients/{client_id}/rotate-secret"): Access(ADMIN_SCOPE),
    ("POST", "/admin/sso/clients/{client_id}/disable"): Access(ADMIN_SCOPE),
    ("POST", "/admin/sso/clients/{client_id}/enable"): Access(ADMIN_SCOPE),
    ("DELETE", "/admin/sso/clients/{client_id}"): Access(ADMIN_SCOPE),
    ("POST", "/admin/sso/keys/rotate"): Access(ADMIN_SCOPE),
    ("GET", "/admin/sso/audit"): Access(ADMIN_SCOPE),
    # Open311 GeoReport v2: public data only; POST is authorised by the form's api_key.
    ("GET", "/open311/v2/discovery.{fmt}"): Access(None, anonymous=True),
    ("GET", "/open311/v2/services.{fmt}"): Access(None, anonymous=True),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Access(None, anonymous=True),
    ("GET", "/open311/v2/requests.{fmt}"): Access(
        None, anonymous=True, description="Public reports only, without personal data."
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Access(
        None, anonymous=True, description="Needs an Open311 api_key (hub open311 create-key)."
    ),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): Access(None, anonymous=True),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): Access(None, anonymous=True),
    # Public oversight: reports without personal data, per-OPD performance (no confidential).
    ("GET", "/v1/public/complaints"): Access(None, anonymous=True),
    ("GET", "/v1/public/complaints/{tracking_code}"): Access(None, anonymous=True),
    ("GET", "/v1/public/complaints.atom"): Access(None, anonymous=True),
    ("GET", "/v1/public/stats"): Access(None, anonymous=True),
    ("GET", "/publik"): Access(None, anonymous=True),
    ("GET", "/publik/laporan/{tracking_code}"): Access(None, anonymous=True),
    # Delivery administration: dead letters and per-target state (router-wide hub:admin).
    ("GET", "/v1/admin/deliveries"): Access(ADMIN_SCOPE),
    ("GET", "/v1/admin/deliveries/{message_id}"): Access(ADMIN_SCOPE),
    ("POST", "/v1/admin/deliveries/replay"): Access(ADMIN_SCOPE),
    ("POST", "/v1/admin/deliveries/{message_id}/replay"): Access(ADMIN_SCOPE),
    ("POST", "/v1/admin/deliveries/{message_id}/discard"): Access(ADMIN_SCOPE),
    ("GET", "/v1/admin/delivery-targets"): Access(ADMIN_SCOPE),
    ("POST", "/v1/connectors/{instance_id}/webhook"): Access(
        None,
        anonymous=True,
        description="Status webhooks of an OPD app: the instance's HMAC signature, or a bearer "
        "token of a client of the same OPD (checked by the instance's resolver).",
    ),
    # Webhook subscriptions: a client manages its own, admins all.
    ("POST", "/v1/subscriptions"): Access("webhooks:manage"),
    ("GET", "/v1/subscriptions"): Access("webhooks:manage"),
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"): Access("webhooks:manage"),
    ("POST", "/v1/subscriptions/{subscription_id}/disable"): Access("webhooks:manage"),
    ("GET", "/v1/complaints/{complaint_id}/events"): Access(
        "complaints:read", anonymous=True, description="Same visibility as the complaint."
    ),
    # Routing rules administration (router-wide hub:admin).
    ("GET", "/v1/admin/routing/rules"): Access(ADMIN_SCOPE, description="The set in force."),
    ("PUT", "/v1/admin/routing/rules"): Access(
        ADMIN_SCOPE, description="Validated; saved as a new version with who and when."
    ),
    ("GET", "/v1/admin/routing/rules/versions"): Access(ADMIN_SCOPE),
    ("POST", "/v1/admin/routing/preview"): Access(ADMIN_SCOPE, description="A dry run."),
    # The triage desk (hub admins) and what an OPD does with its reports in the hub.
    ("GET", "/v1/triage/queue"): Access(ADMIN_SCOPE),
    ("POST", "/v1/complaints/{complaint_id}/triage"): Access(ADMIN_SCOPE),
    ("POST", "/v1/complaints/{complaint_id}/return"): Access(
        "complaints:update", description="The assigned OPD's staff or clients; hub admins."
    ),
    ("POST", "/v1/complaints/{complaint_id}/status"): Access(
        "complaints:update", description="The assigned OPD's staff or clients; hub admins."
    ),
    ("GET", "/v1/opd/inbox"): Access(
        "complaints:read", description="OPD staff and clients see their own OPD's reports."
    ),
    # Duplicates: staff of the assigned OPD (checked in the handler) or admins decide.
    ("POST", "/v1/complaints/{complaint_id}/duplicate/confirm"): Access(
        "complaints:update",
        description="Staff of the OPD the report is assigned to, or admins: mark a duplicate.",
    ),
    ("POST", "/v1/complaints/{complaint_id}/duplicate/dismiss"): Access(
        "complaints:update", description="Same as confirm: dismiss duplicate suggestions."
    ),
    # Service levels: the holiday calendar working days are counted with.
    ("GET", "/v1/admin/holidays"): Access(ADMIN_SCOPE),
    ("PUT", "/v1/admin/holidays"): Access(ADMIN_SCOPE, description="Replace one year's days."),
    ("GET", "/healthz"): Access(None, anonymous=True),
    ("GET", "/readyz"): Access(None, anonymous=True),
    ("GET", "/metrics"): Access(None, anonymous=True, description="No personal data."),
}


def authenticate(request: Request) -> Principal:
    auth: Authenticator = getattr(request.app.state, "authenticator", anonymous_only)
    return auth(request)


def require_scope(scope: str) -> Callable[..., Principal]:
    """For a whole router whose routes share one scope (each still listed in ENDPOINTS)."""
    return _enforce(Access(scope), f"require_{scope.replace(':', '_')}")


def require(method: str, path: str) -> Callable[..., Principal]:
    """Dependency enforcing the access declared in ENDPOINTS for (method, path)."""
    name = f"require_{method.lower()}_{path.strip('/').replace('/', '_')}"
    return _enforce(ENDPOINTS[(method, path)], name)


def _enforce(rule: Access, name: str) -> Callable[..., Principal]:
    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.is_anonymous:
            if rule.anonymous or rule.scope is None:
                return principal
            raise Unauthorized(
                "A bearer token is required.",
                headers={"WWW-Authenticate": f'Bearer scope="{rule.scope}"'},
            )
        if rule.scope and rule.scope not in principal.scopes and not principal.is_admin:
            raise Forbidden(
                f"The token lacks the scope {rule.scope!r}.",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{rule.scope}"'
                },
            )
        return principal

    dependency.__name__ = name
    return dependency
