"""The connector contract: one class per kind of OPD application.

A connector *type* (this class) knows how to talk to one kind of app; a connector *instance* is
that type plus a config (URL, credentials, mappings) registered for one OPD. The hub creates the
object with the instance's validated config and an httpx client, then calls the operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from connectors.errors import ConfigError
from connectors.minimise import unknown_fields
from schemas.models import Complaint, StatusUpdate

__all__ = [
    "CheckResult",
    "Connector",
    "DeliveryResult",
    "Operation",
    "UpdateBatch",
    "WebhookRequest",
]


@dataclass(frozen=True)
class DeliveryResult:
    """What the OPD app answered when it accepted a complaint."""

    external_ref: str
    status_code: int | None = None
    response: str | None = None


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass(frozen=True)
class WebhookRequest:
    """A status webhook as received by the hub, independent of any web framework."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateBatch:
    """Status updates fetched by polling, and the cursor to resume from next time."""

    updates: list[StatusUpdate]
    cursor: str | None


@dataclass(frozen=True)
class Operation:
    """A synchronous service operation (e.g. a vehicle-tax lookup) with its contract."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]


class Connector:
    """Base class of every connector type; subclasses override what their app supports."""

    name: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    description: ClassVar[str] = ""
    # JSON Schema of the instance config; properties with "writeOnly": true (or "x-secret": true)
    # are secrets: stored encrypted, never returned, never logged.
    config_schema: ClassVar[Mapping[str, Any]] = {"type": "object"}
    # Complaint fields this connector's OPD needs (data minimisation); None means all.
    fields_needed: ClassVar[frozenset[str] | None] = None
    operations: ClassVar[Mapping[str, Operation]] = {}

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient | None = None) -> None:
        self.config = dict(config)
        unknown = unknown_fields(self.needed_fields() or ())
        if unknown:  # a mapping naming a field we do not have would silently send nothing
            raise ConfigError(
                f"{self.name}: the delivery mapping reads fields a complaint does not have: "
                + ", ".join(unknown)
            )
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        """Hand the complaint to the OPD app; the same key must never create a second record."""
        raise NotImplementedError(f"connector {self.name!r} cannot deliver complaints")

    async def parse_webhook(self, request: WebhookRequest) -> list[StatusUpdate]:
        """Turn an authenticated status webhook from the OPD app into status updates."""
        raise NotImplementedError(f"connector {self.name!r} takes no status webhooks")

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        """Poll the OPD app for status updates after `cursor`."""
        raise NotImplementedError(f"connector {self.name!r} cannot be polled")

    async def check(self) -> CheckResult:
        """Can the app be reached with this config, and are the credentials accepted?"""
        return CheckResult(True, "no check implemented")

    async def call(self, operation: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Run a synchronous service operation; input/output are validated by the caller."""
        raise NotImplementedError(f"connector {self.name!r} has no operation {operation!r}")

    def available_operations(self) -> Mapping[str, Operation]:
        """The operations of this instance (config-driven connectors declare them in config)."""
        return self.operations

    def needed_fields(self) -> frozenset[str] | None:
        """Complaint fields this instance sends; a config may narrow the class's declaration."""
        return self.fields_needed

    def minimised(self, complaint: Complaint) -> dict[str, Any]:
        """The complaint as a JSON-ready dict with only the fields this OPD needs."""
        from connectors.minimise import minimise

        return minimise(complaint, self.needed_fields())

    def polls(self) -> bool:
        """Should the hub poll this instance for status updates? Config-driven types narrow it."""
        return self.supports("fetch_updates")

    @classmethod
    def supports(cls, method: str) -> bool:
        """True when the subclass overrides `method` (deliver, parse_webhook, fetch_updates...)."""
        return getattr(cls, method) is not getattr(Connector, method)

    async def aclose(self) -> None:
        await self.client.aclose()
