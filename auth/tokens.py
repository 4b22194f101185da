"""Signing and verifying JWTs: RFC 9068 access tokens and OpenID Connect ID tokens.

Only RS256 is accepted when verifying, so `alg: none` or an HMAC made with the public key
can never pass.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

ALGORITHMS = ["RS256"]
AT_TYP = "at+jwt"


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired, for someone else, or revoked."""


def sign(key: RSAKey, kid: str, claims: dict[str, Any], typ: str = "JWT") -> str:
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": typ}, claims, key, ALGORITHMS)


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims of a token we have just signed ourselves (no check: never use on input)."""
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def verify(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    audience: str | None,
    now: int,
    typ: str | None = None,
    check_exp: bool = True,
) -> dict[str, Any]:
    """Signature, header type, iss, aud and (unless told otherwise) exp and nbf."""
    if not token or token.count(".") != 2:
        raise InvalidTokenError("malformed token")
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidTokenError(f"signature check failed: {type(exc).__name__}") from exc
    if typ is not None:
        header_typ = str(decoded.header.get("typ", "")).lower()
        if header_typ not in (typ, f"application/{typ}"):
            raise InvalidTokenError(f"wrong token type {header_typ!r}")
    claims = decoded.claims
    options: dict[str, Any] = {"iss": {"essential": True, "value": issuer}}
    if audience is not None:
        options["aud"] = {"essential": True, "value": audience}
    if check_exp:
        options["exp"] = {"essential": True}
    registry = jwt.JWTClaimsRegistry(now=now, leeway=0, **options)
    checked = claims if check_exp else {k: v for k, v in claims.items() if k != "exp"}
    try:
        registry.validate(checked)
    except JoseError as exc:
        raise InvalidTokenError(exc.description or exc.error) from exc
    return claims
