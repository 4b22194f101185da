"""Live connector objects, one per instance, rebuilt when the instance changes.

One HTTP client per instance (not one shared client): httpcore rescans its whole pool on every
request, so many small pools outrun one big one (DESIGN.md, encode/httpx#3215), and a slow OPD
app can only exhaust its own connections.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from connectors import Connector
from hub.crypto import Vault
from hub.integrations import service
from hub.integrations.models import ConnectorInstance


class ConnectorPool:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._live: dict[str, tuple[datetime, Connector]] = {}
        self._lock = asyncio.Lock()

    async def get(self, instance: ConnectorInstance) -> Connector:
        async with self._lock:
            cached = self._live.get(instance.id)
            if cached is not None and cached[0] == instance.updated_at:
                return cached[1]
            connector = service.build(instance, self._vault)
            self._live[instance.id] = (instance.updated_at, connector)
        if cached is not None:
            await cached[1].aclose()
        return connector

    async def aclose(self) -> None:
        async with self._lock:
            live, self._live = self._live, {}
        for _, connector in live.values():
            await connector.aclose()
