"""Per-process runtime of the delivery engine: database sessions, settings, one event loop.

Celery's prefork pool forks workers after import, so engines and loops are created lazily and
re-created when the process id changes (a pooled connection must never cross a fork).
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_sessionmaker, utcnow
from hub.delivery.config import DeliverySettings, get_delivery_settings

__all__ = ["Runtime", "configure", "fernet_from_secret", "get_runtime"]

T = TypeVar("T")


def fernet_from_secret(secret: str, purpose: str = "hub.notifications.secrets") -> Fernet:
    """A Fernet key derived from the hub's secret key (HKDF-SHA256, one key per purpose)."""
    if not secret:
        raise ValueError("the hub secret key is empty")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


@dataclass
class Runtime:
    factory: sessionmaker[Session]
    settings: DeliverySettings
    fernet: Fernet | None = None
    public_url: str = "http://127.0.0.1:8000"
    pid: int = field(default_factory=os.getpid)
    _loop: asyncio.AbstractEventLoop | None = None
    # The engine's notion of "now" (tests inject a clock instead of sleeping).
    clock: Callable[[], datetime] = utcnow

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on this process's long-lived loop (connector clients stay pooled)."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        """Close this process's loop (after closing the clients that ran on it)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()


_runtime: Runtime | None = None


def configure(runtime: Runtime | None) -> None:
    """Install the runtime (the hub at startup, tests); None forgets it."""
    global _runtime
    _runtime = runtime


def get_runtime() -> Runtime:
    """The configured runtime, or one built from the settings (worker processes)."""
    global _runtime
    if _runtime is not None and _runtime.pid == os.getpid():
        return _runtime
    if _runtime is not None:  # forked: same config, fresh connections and loop
        _runtime.factory.kw["bind"].dispose(close=False)
        _runtime = Runtime(
            _runtime.factory,
            _runtime.settings,
            _runtime.fernet,
            _runtime.public_url,
            clock=_runtime.clock,
        )
        return _runtime
    from hub.settings import get_settings

    settings = get_settings()
    from hub.crypto import master_key

    secret = master_key(settings)  # the same key the API process uses (file or HUB_SECRET_KEY)
    # No pre-ping: it costs a round trip on each of the 2-3 checkouts per attempt; a dropped
    # connection fails one task, the pool is invalidated, and the sweep offers the message again.
    engine = make_engine(settings.effective_database_url, pool_pre_ping=False)
    _runtime = Runtime(
        factory=make_sessionmaker(engine),
        settings=get_delivery_settings(),
        fernet=fernet_from_secret(secret) if secret else None,
        public_url=settings.public_url,
    )
    return _runtime
