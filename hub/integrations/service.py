"""Registering, checking and running connector instances.

Config is validated against the connector type's JSON Schema, sealed whole with the hub's vault
(secrets never rest in clear) and kept redacted for display. An instance is enabled only after
`check()` reached its app with that config.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import CheckResult, Connector, ConnectorError
from connectors.config import redact, restore_secrets, validate_config
from connectors.http import build_client
from connectors.operations import http_status, run_operation
from connectors.registry import UnknownConnector, default_registry
from hub.catalog import service as catalog
from hub.crypto import Vault
from hub.db import utcnow
from hub.integrations.models import ConnectorInstance
from hub.problems import (
    BadGateway,
    Conflict,
    GatewayTimeout,
    NotFound,
    Problem,
    ServiceUnavailable,
    Unprocessable,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass
class InstanceSpec:
    id: str
    connector: str
    institution: str
    config: dict[str, Any]
    categories: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    rate_limit_per_minute: int | None = None


def connector_type(name: str) -> type[Connector]:
    try:
        return default_registry().get(name)
    except UnknownConnector as exc:
        raise Unprocessable(
            str(exc), errors=[{"pointer": "/connector", "detail": str(exc)}]
        ) from exc


def _check_config(cls: type[Connector], config: Mapping[str, Any]) -> None:
    try:
        validate_config(config, cls.config_schema)
    except ConnectorError as exc:
        raise Unprocessable(str(exc), errors=[{"pointer": "/config", "detail": str(exc)}]) from exc


def _check_references(session: Session, spec: InstanceSpec) -> None:
    errors = []
    if not SLUG.match(spec.id):
        errors.append({"pointer": "/id", "detail": "lower-case letters, digits and '-', 2-63"})
    if not catalog.institution_exists(session, spec.institution):
        errors.append({"pointer": "/institution", "detail": f"unknown {spec.institution!r}"})
    for i, code in enumerate(spec.categories):
        if not catalog.category_exists(session, code):
            errors.append({"pointer": f"/categories/{i}", "detail": f"unknown {code!r}"})
    for i, code in enumerate(spec.regions):
        if not catalog.institution_exists(session, code):
            errors.append({"pointer": f"/regions/{i}", "detail": f"unknown {code!r}"})
    if errors:
        raise Unprocessable("The connector instance is not valid.", errors=errors)


def register(
    session: Session, vault: Vault, spec: InstanceSpec, *, actor: str | None
) -> ConnectorInstance:
    """Store a new instance, disabled until a check passes."""
    cls = connector_type(spec.connector)
    _check_references(session, spec)
    _check_config(cls, spec.config)
    if session.get(ConnectorInstance, spec.id) is not None:
        raise Conflict(f"A connector instance {spec.id!r} already exists.")
    instance = ConnectorInstance(
        id=spec.id,
        connector=spec.connector,
        institution=spec.institution,
        categories=list(spec.categories),
        regions=list(spec.regions),
        config_sealed=vault.seal_json(spec.config),
        config_redacted=redact(spec.config, cls.config_schema),
        enabled=False,
        rate_limit_per_minute=spec.rate_limit_per_minute,
        created_by=actor,
    )
    session.add(instance)
    session.flush()
    if spec.rate_limit_per_minute is not None:
        set_rate_limit(session, spec.id, spec.rate_limit_per_minute)
    return instance


def set_rate_limit(session: Session, instance: str, per_minute: int | None) -> None:
    """Store the OPD's limit and hand it to the delivery engine, which enforces it."""
    from hub.delivery.service import set_rate_limit as engine_limit

    row = get(session, instance)
    row.rate_limit_per_minute = per_minute
    engine_limit(session, instance, per_minute)


def health(session: Session, instance_id: str) -> dict[str, Any]:
    """The delivery engine's verdict on the instance: suspension and parked messages."""
    from hub.delivery import suspension

    return suspension.view(session, instance_id)


def resume(session: Session, instance_id: str, *, actor: str) -> int:
    """After a passing check: lift a suspension and replay parked messages (after commit)."""
    from hub.delivery import suspension
    from hub.ops.metrics import CONNECTOR_RESUMES, PARKED_REPLAYED

    was_suspended = suspension.is_suspended(session, instance_id)
    replayed = suspension.resume(session, instance_id, utcnow(), actor=actor)
    if was_suspended:
        CONNECTOR_RESUMES.inc()
    PARKED_REPLAYED.inc(replayed)
    return replayed


def update_config(
    session: Session, vault: Vault, instance: ConnectorInstance, config: dict[str, Any]
) -> ConnectorInstance:
    """Replace the config (masked secrets keep their values); the instance must be checked again."""
    cls = connector_type(instance.connector)
    merged = restore_secrets(config, vault.open_json(instance.config_sealed), cls.config_schema)
    _check_config(cls, merged)
    instance.config_sealed = vault.seal_json(merged)
    instance.config_redacted = redact(merged, cls.config_schema)
    instance.enabled = False
    instance.last_check_ok = None
    return instance


def get(session: Session, instance_id: str) -> ConnectorInstance:
    instance = session.get(ConnectorInstance, instance_id)
    if instance is None:
        raise NotFound(f"No connector instance {instance_id!r}.")
    return instance


def list_instances(session: Session, *, institution: str | None = None) -> list[ConnectorInstance]:
    query = select(ConnectorInstance).order_by(ConnectorInstance.id)
    if institution:
        query = query.where(ConnectorInstance.institution == institution)
    return list(session.scalars(query))


def build(
    instance: ConnectorInstance, vault: Vault, client: httpx.AsyncClient | None = None
) -> Connector:
    """A live connector object for this instance (decrypted config, its own HTTP client)."""
    cls = connector_type(instance.connector)
    config = vault.open_json(instance.config_sealed)
    timeout = float(config.get("timeout", 10.0)) if isinstance(config, dict) else 10.0
    return cls(config, client or build_client(timeout=timeout))


async def run_check(connector: Connector, *, seconds: float) -> CheckResult:
    try:
        async with asyncio.timeout(seconds):
            return await connector.check()
    except TimeoutError:
        return CheckResult(False, f"no answer within {seconds:g} s")
    except ConnectorError as exc:
        return CheckResult(False, f"{type(exc).__name__}: {exc}")


def record_check(instance: ConnectorInstance, result: CheckResult, *, enable: bool) -> None:
    instance.last_check_at = utcnow()
    instance.last_check_ok = result.ok
    instance.last_check_detail = result.detail[:2000]
    if enable and result.ok:
        instance.enabled = True


def view(instance: ConnectorInstance, health: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the API and CLI show: never a secret."""
    doc = {
        "id": instance.id,
        "connector": instance.connector,
        "institution": instance.institution,
        "categories": instance.categories,
        "regions": instance.regions,
        "config": instance.config_redacted,
        "enabled": instance.enabled,
        "rate_limit_per_minute": instance.rate_limit_per_minute,
        "last_check": None
        if instance.last_check_at is None
        else {
            "at": instance.last_check_at.isoformat(),
            "ok": instance.last_check_ok,
            "detail": instance.last_check_detail,
        },
        "created_at": instance.created_at.isoformat(),
    }
    if health is not None:
        doc["delivery"] = health
    return doc


_PROBLEMS: dict[int, type[Problem]] = {
    404: NotFound,
    422: Unprocessable,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


async def call_operation(
    connector: Connector, operation: str, payload: dict[str, Any], *, seconds: float
) -> dict[str, Any]:
    """Run a synchronous service operation (contract checked both ways, hard deadline) and turn
    a failure into the problem a gateway should answer."""
    try:
        return await run_operation(connector, operation, payload, deadline=seconds)
    except ConnectorError as exc:
        status = http_status(exc)
        found = getattr(exc, "problems", None) or []
        headers = {}
        if status in (503, 504):
            headers["Retry-After"] = str(int(getattr(exc, "retry_after", None) or 30))
        raise _PROBLEMS.get(status, BadGateway)(
            f"{exc}",
            errors=[{"pointer": p.path, "detail": p.message} for p in found] or None,
            headers=headers,
        ) from exc
