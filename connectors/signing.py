"""HMAC-SHA256 signatures on webhook bodies, shared by OPD apps and the hub.

The app signs the raw body with a shared secret and sends the hex digest in a header, optionally
prefixed (GitHub style "sha256=..."). Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify"]


def sign(secret: str, body: bytes, prefix: str = "") -> str:
    return prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None, prefix: str = "") -> bool:
    """True only when `signature` is the HMAC of `body` under `secret` (constant-time)."""
    if not signature:
        return False
    expected = sign(secret, body, prefix)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
