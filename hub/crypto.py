"""Encryption of secrets at rest (connector credentials, webhook secrets, signing keys).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`. `HUB_SECRET_KEY` holds one or more
comma-separated Fernet keys: the first encrypts, all decrypt, so keys rotate without downtime.
On embedded defaults a key is generated once into the data dir (mode 0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.settings import Settings

KEY_FILE = "secret.key"


class SecretsUnavailable(RuntimeError):
    pass


def _keys(settings: Settings) -> list[bytes]:
    if settings.secret_key is not None:
        raw = settings.secret_key.get_secret_value()
        keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
        if not keys:
            raise SecretsUnavailable("HUB_SECRET_KEY is empty")
        return keys
    if settings.env == "production":
        raise SecretsUnavailable("HUB_SECRET_KEY must be set in production")
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    return [Path(path).read_bytes().strip()]


def master_key(settings: Settings) -> str:
    """The current key as text, for components that derive their own keys from it (the SSO)."""
    return _keys(settings)[0].decode()


class Vault:
    """Seals and opens small secrets; the only place that sees the encryption keys."""

    def __init__(self, keys: list[bytes]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise SecretsUnavailable(
                "HUB_SECRET_KEY must be Fernet keys (urlsafe base64 of 32 bytes), comma-separated"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls(_keys(settings))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretsUnavailable(
                "a sealed secret cannot be opened with the current keys"
            ) from exc

    def seal_json(self, value: Any) -> str:
        return self.seal(json.dumps(value, separators=(",", ":")))

    def open_json(self, token: str) -> Any:
        return json.loads(self.open(token))

    def rotate(self, token: str) -> str:
        """Re-encrypt under the current (first) key."""
        return self._fernet.rotate(token.encode()).decode()
