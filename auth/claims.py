"""Which user claims each OpenID Connect scope releases (userinfo and ID token)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auth.config import ADMIN_SCOPE
from auth.models import User


def user_claims(user: User, granted: Iterable[str]) -> dict[str, Any]:
    scopes = set(granted)
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        claims["name"] = user.name
        claims["updated_at"] = int(user.updated_at.timestamp())
        claims["user_kind"] = user.kind
        if user.kind == "asn":
            claims["opd"] = user.opd
            claims["roles"] = list(user.roles)
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    if "phone" in scopes and user.phone:
        claims["phone_number"] = user.phone
        claims["phone_number_verified"] = user.phone_verified
    return claims


def scopes_for_user(user: User, scopes: list[str]) -> list[str]:
    """A user's token never carries more than the user may do (admin scope needs hub_admin)."""
    return [s for s in scopes if s != ADMIN_SCOPE or "hub_admin" in user.roles]
