"""One call for the hub's startup: runtime, connector resolver, relay."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from hub.delivery import relay
from hub.delivery.config import DeliverySettings, get_delivery_settings
from hub.delivery.resolver import ConnectorResolver, set_resolver
from hub.delivery.runtime import Runtime, configure

__all__ = ["setup", "teardown"]


def setup(
    *,
    factory: sessionmaker[Session],
    resolver: ConnectorResolver,
    fernet: Fernet | None = None,
    settings: DeliverySettings | None = None,
    public_url: str = "http://127.0.0.1:8000",
) -> Runtime:
    """Install what the API process needs: staged messages are enqueued after each commit,
    webhooks and dead-letter endpoints use `factory`, connectors come from `resolver`."""
    runtime = Runtime(
        factory=factory,
        settings=settings or get_delivery_settings(),
        fernet=fernet,
        public_url=public_url,
    )
    configure(runtime)
    set_resolver(resolver)
    relay.install()
    return runtime


def teardown() -> None:
    relay.uninstall()
    set_resolver(None)
    configure(None)
