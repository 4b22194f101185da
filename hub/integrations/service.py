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
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import CheckResult, Connector, ConnectorError, PermanentError
from connectors.config import SECRET_MASK, redact, secret_fields, validate_config
from connectors.http import build_client
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
    return instance


def _merge_secrets(new: Any, old: Any, schema_secrets: frozenset[str], prefix: str = "") -> Any:
    """Keycloak's rule: a secret sent back masked keeps its stored value."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {
            k: _merge_secrets(v, old.get(k), schema_secrets, f"{prefix}{k}.")
            for k, v in new.items()
        }
    if new == SECRET_MASK and old is not None:
        return old
    return new


def update_config(
    session: Session, vault: Vault, instance: ConnectorInstance, config: dict[str, Any]
) -> ConnectorInstance:
    """Replace the config (masked secrets keep their values); the instance must be checked again."""
    cls = connector_type(instance.connector)
    merged = _merge_secrets(
        config, vault.open_json(instance.config_sealed), secret_fields(cls.config_schema)
    )
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


def view(instance: ConnectorInstance) -> dict[str, Any]:
    """What the API and CLI show: never a secret."""
    return {
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


def _schema_problems(doc: Any, schema: Mapping[str, Any]) -> list[dict[str, str]]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        {"pointer": "/" + "/".join(str(p) for p in e.absolute_path), "detail": e.message}
        for e in validator.iter_errors(doc)
    ]


async def call_operation(
    connector: Connector, operation: str, payload: dict[str, Any], *, seconds: float
) -> dict[str, Any]:
    """Run a synchronous service operation with schema checks both ways and a hard timeout."""
    operations = connector.available_operations()
    if operation not in operations:
        known = ", ".join(sorted(operations)) or "none"
        raise NotFound(f"No operation {operation!r} (available: {known}).")
    spec = operations[operation]
    problems = _schema_problems(payload, spec.input_schema)
    if problems:
        raise Unprocessable("The input does not match the operation's schema.", errors=problems)
    try:
        async with asyncio.timeout(seconds):
            result = await connector.call(operation, payload)
    except TimeoutError as exc:
        raise GatewayTimeout(
            f"The agency's application did not answer within {seconds:g} s.",
            headers={"Retry-After": "30"},
        ) from exc
    except PermanentError as exc:
        raise BadGateway(f"The agency's application refused the call: {exc}") from exc
    except ConnectorError as exc:
        if exc.status_code is not None and exc.status_code < 300:
            # It answered, but with something unusable: that is a bad gateway, not an outage.
            raise BadGateway(f"The agency's application answered badly: {exc}") from exc
        retry = getattr(exc, "retry_after", None)
        raise ServiceUnavailable(
            f"The agency's application is unavailable: {exc}",
            headers={"Retry-After": str(int(retry or 30))},
        ) from exc
    problems = _schema_problems(result, spec.output_schema)
    if problems:
        raise BadGateway(
            "The agency's application answered in an unexpected shape.", errors=problems
        )
    return result
