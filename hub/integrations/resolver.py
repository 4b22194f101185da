"""Connector instances as the delivery engine sees them (its `ConnectorResolver` seam).

Live connector objects are cached per instance and rebuilt when the instance changes, so each
worker process keeps one pooled HTTP client per OPD app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors import Connector, WebhookRequest
from connectors.errors import ConfigError
from hub.access import Principal
from hub.crypto import Vault
from hub.db import make_engine, make_sessionmaker
from hub.integrations import service
from hub.integrations.models import ConnectorInstance
from hub.settings import get_settings

log = logging.getLogger(__name__)

BearerVerifier = Callable[[str], Principal | None]


class InstanceResolver:
    def __init__(
        self,
        factory: sessionmaker[Session],
        vault: Vault,
        *,
        verify_bearer: BearerVerifier | None = None,
    ) -> None:
        self._factory = factory
        self._vault = vault
        self._verify_bearer = verify_bearer
        self._live: dict[str, tuple[datetime, Connector]] = {}
        self._lock = threading.Lock()

    def _instance(self, target: str) -> ConnectorInstance:
        with self._factory() as session:
            instance = session.get(ConnectorInstance, target)
        if instance is None:
            raise ConfigError(f"no connector instance {target!r}")
        return instance

    def resolve(self, target: str) -> Connector:
        instance = self._instance(target)
        if not instance.enabled:
            raise ConfigError(f"connector instance {target!r} is disabled")
        with self._lock:
            cached = self._live.get(target)
            if cached is not None and cached[0] == instance.updated_at:
                return cached[1]
            connector = service.build(instance, self._vault)
            self._live[target] = (instance.updated_at, connector)
            return connector

    async def aclose(self) -> None:
        """Close the cached connectors' HTTP clients (on the loop that used them)."""
        with self._lock:
            live, self._live = list(self._live.values()), {}
        for _, connector in live:
            await connector.aclose()

    def poll_targets(self) -> Iterable[str]:
        with self._factory() as session:
            rows = session.scalars(
                select(ConnectorInstance).where(ConnectorInstance.enabled.is_(True))
            ).all()
        out = []
        for row in rows:
            try:
                if self.resolve(row.id).polls():
                    out.append(row.id)
            except Exception:  # a broken plugin or config must not stop polling of the others
                log.exception("connector instance %s cannot be polled", row.id)
        return out

    def authenticate(self, target: str, request: WebhookRequest) -> bool:
        """A bearer token of the instance's own OPD, or (no token) the connector's own HMAC
        check inside `parse_webhook`, which raises AuthError when the signature is wrong."""
        instance = self._instance(target)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            if self._verify_bearer is None:
                return False
            principal = self._verify_bearer(header[7:].strip())
            return principal is not None and (
                principal.is_admin or principal.opd == instance.institution
            )
        secrets = instance.config_redacted.get("webhook") or {}
        return bool(isinstance(secrets, dict) and secrets.get("secret"))


def from_settings() -> InstanceResolver:
    """The resolver of a worker process, built from the hub's settings."""
    settings = get_settings()
    factory = make_sessionmaker(make_engine(settings.effective_database_url))
    return InstanceResolver(factory, Vault.from_settings(settings))
