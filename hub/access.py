"""Who may call what: every endpoint declares its access here, and one dependency enforces it.

The hub's single sign-on (package `auth`) plugs in as the `Authenticator` that turns a bearer
token into a `Principal`; without a token the caller is anonymous and gets public data only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

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
        return "hub_admin" in self.roles or "hub:admin" in self.scopes

    @property
    def idempotency_scope(self) -> str:
        return f"{self.kind}:{self.client_id or ''}:{self.subject or ''}"


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
    ("GET", "/v1/categories"): Access(None, anonymous=True),
    ("GET", "/v1/institutions"): Access(None, anonymous=True),
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
    ("GET", "/healthz"): Access(None, anonymous=True),
    ("GET", "/readyz"): Access(None, anonymous=True),
    ("GET", "/metrics"): Access(None, anonymous=True, description="No personal data."),
}


def authenticate(request: Request) -> Principal:
    auth: Authenticator = getattr(request.app.state, "authenticator", anonymous_only)
    return auth(request)


def require(method: str, path: str) -> Callable[..., Principal]:
    """Dependency enforcing the access declared in ENDPOINTS for (method, path)."""
    rule = ENDPOINTS[(method, path)]

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

    dependency.__name__ = f"require_{method.lower()}_{path.strip('/').replace('/', '_')}"
    return dependency
