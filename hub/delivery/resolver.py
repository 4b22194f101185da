"""The seam between the delivery engine and connector instances.

The hub registers one `ConnectorResolver` at startup (`set_resolver`); worker processes build
theirs from `HUB_DELIVERY_RESOLVER="package.module:factory"` (a callable returning a resolver).
Resolvers should cache connector objects per process: the engine runs every call on one
long-lived event loop per worker process, so a connector's pooled httpx client is reused.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from connectors import Connector, WebhookRequest
from connectors.errors import ConfigError

__all__ = [
    "ConnectorResolver",
    "get_resolver",
    "load_resolver",
    "set_resolver",
]


@runtime_checkable
class ConnectorResolver(Protocol):
    def resolve(self, target: str) -> Connector:
        """The connector object for instance `target`; raise ConfigError when it is unknown."""
        ...

    def poll_targets(self) -> Iterable[str]:
        """Enabled instances whose connector supports `fetch_updates`."""
        ...

    def authenticate(self, target: str, request: WebhookRequest) -> bool:
        """Does this webhook really come from instance `target` (HMAC or bearer check)?"""
        ...


_resolver: ConnectorResolver | None = None


def set_resolver(resolver: ConnectorResolver | None) -> None:
    global _resolver
    _resolver = resolver


def load_resolver(spec: str) -> ConnectorResolver:
    """Build a resolver from 'module:factory'."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"resolver spec {spec!r} must look like 'package.module:factory'")
    factory = getattr(importlib.import_module(module_name), attr)
    resolver = factory()
    if not isinstance(resolver, ConnectorResolver):
        raise TypeError(f"{spec} returned {type(resolver).__name__}, not a ConnectorResolver")
    return resolver


def get_resolver() -> ConnectorResolver:
    global _resolver
    if _resolver is None:
        from hub.delivery.config import get_delivery_settings

        spec = get_delivery_settings().resolver
        if spec is None:
            raise ConfigError(
                "no connector resolver: call hub.delivery.resolver.set_resolver() at startup "
                "or set HUB_DELIVERY_RESOLVER=module:factory"
            )
        _resolver = load_resolver(spec)
    return _resolver
