"""`rest_json`: any OPD app with a REST/JSON API, described entirely in config.

deliver     POST the complaint, shaped by a declarative field mapping; the hub's message id
            travels as `Idempotency-Key`; the app's id is read from `external_ref_path`
webhook     status events signed with HMAC-SHA256 over the raw body (shared secret)
polling     GET with a cursor parameter; items and next cursor read from configured paths
operations  synchronous calls (e.g. a vehicle-tax lookup): method, path template, query or
            body mapping, response mapping, input and output JSON Schemas
auth        API key header, bearer token or OAuth2 client credentials (token cached)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.auth import AUTH_SCHEMA, Authenticator, OAuth2ClientCredentials, make_authenticator
from connectors.base import (
    CheckResult,
    Connector,
    DeliveryResult,
    Operation,
    UpdateBatch,
    WebhookRequest,
)
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
)
from connectors.http import json_body, send
from connectors.mapping import (
    MAPPING_SCHEMA,
    MISSING,
    MappingError,
    apply_mapping,
    get_path,
    source_paths,
)
from connectors.minimise import minimise
from connectors.signing import verify
from connectors.updates import STATUS_MAP_SCHEMA, build_status_update
from schemas.models import Complaint, StatusUpdate

__all__ = ["RestJsonConnector"]

_PATH = {"type": "string", "pattern": "^/"}
_DOTTED = {"type": "string", "minLength": 1}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "REST/JSON connector",
    "type": "object",
    "required": ["base_url"],
    "additionalProperties": False,
    "properties": {
        "base_url": {"type": "string", "pattern": "^https?://[^/]+", "description": "App root."},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
        "auth": AUTH_SCHEMA,
        "headers": {
            "type": "object",
            "description": "Extra request headers; their values are kept as secrets.",
            "additionalProperties": {"type": "string", "writeOnly": True},
        },
        "reveal_anonymous": {
            "type": "boolean",
            "default": False,
            "description": "Send an anonymous reporter's identity (only with a legal basis).",
        },
        "deliver": {
            "type": "object",
            "required": ["path", "mapping", "external_ref_path"],
            "additionalProperties": False,
            "properties": {
                "method": {"enum": ["POST", "PUT"], "default": "POST"},
                "path": _PATH,
                "mapping": MAPPING_SCHEMA,
                "external_ref_path": _DOTTED,
                "idempotency_header": {"type": "string", "default": "Idempotency-Key"},
            },
        },
        "webhook": {
            "type": "object",
            "required": ["secret", "fields"],
            "additionalProperties": False,
            "properties": {
                "secret": {"type": "string", "minLength": 16, "writeOnly": True},
                "signature_header": {"type": "string", "default": "X-Signature"},
                "signature_prefix": {"type": "string", "default": ""},
                "events_path": _DOTTED,
                "fields": MAPPING_SCHEMA,
                "status_map": STATUS_MAP_SCHEMA,
            },
        },
        "polling": {
            "type": "object",
            "required": ["path", "items_path", "fields"],
            "additionalProperties": False,
            "properties": {
                "path": _PATH,
                "cursor_param": {"type": "string", "default": "cursor"},
                "items_path": _DOTTED,
                "next_cursor_path": _DOTTED,
                "fields": MAPPING_SCHEMA,
                "status_map": STATUS_MAP_SCHEMA,
            },
        },
        "operations": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,63}$"},
            "additionalProperties": {
                "type": "object",
                "required": ["path", "input_schema", "output_schema"],
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string"},
                    "method": {"enum": ["GET", "POST"], "default": "GET"},
                    "path": {**_PATH, "description": "May hold {input_field} placeholders."},
                    "query": MAPPING_SCHEMA,
                    "body": MAPPING_SCHEMA,
                    "input_schema": {"type": "object"},
                    "output_schema": {"type": "object"},
                    "response_mapping": MAPPING_SCHEMA,
                },
            },
        },
        "check": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"path": _PATH},
        },
    },
}


class RestJsonConnector(Connector):
    """Generic REST/JSON OPD app; everything app-specific lives in the instance config."""

    name = "rest_json"
    version = "1.0.0"
    description = "Generic REST/JSON app with declarative field mapping (webhook or polling)"
    config_schema = CONFIG_SCHEMA

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.base_url = str(self.config["base_url"]).rstrip("/")
        self.timeout = float(self.config.get("timeout", 10))
        self.auth: Authenticator = make_authenticator(self.config.get("auth"))

    # -- plumbing -------------------------------------------------------------------------------
    def needed_fields(self) -> frozenset[str]:
        """Exactly the complaint paths the delivery mapping reads: nothing else leaves the hub."""
        return source_paths((self.config.get("deliver") or {}).get("mapping") or {})

    def minimised(self, complaint: Complaint) -> dict[str, Any]:
        reveal = bool(self.config.get("reveal_anonymous", False))
        return minimise(complaint, self.needed_fields(), reveal_anonymous=reveal)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One authenticated request; a refused cached OAuth token is renewed once."""
        extra = dict(kwargs.pop("headers", {}) or {})
        for attempt in (1, 2):
            headers = {**self.config.get("headers", {}), **extra}
            headers.update(await self.auth.headers(self.client))
            try:
                return await send(
                    self.client,
                    method,
                    self.base_url + path,
                    headers=headers,
                    timeout=self.timeout,
                    **kwargs,
                )
            except AuthError as exc:
                renewable = isinstance(self.auth, OAuth2ClientCredentials)
                if attempt == 1 and renewable and exc.status_code == 401:
                    self.auth.invalidate()
                    continue
                raise
        raise AssertionError("unreachable")

    def _section(self, name: str) -> Mapping[str, Any]:
        section = self.config.get(name)
        if not isinstance(section, Mapping):
            raise ConfigError(f"this {self.name} instance has no {name!r} section in its config")
        return section

    # -- operations -----------------------------------------------------------------------------
    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        spec = self._section("deliver")
        try:
            payload = apply_mapping(spec["mapping"], self.minimised(complaint))
        except MappingError as exc:
            raise PermanentError(f"cannot map complaint {complaint.tracking_code}: {exc}") from exc
        header = str(spec.get("idempotency_header", "Idempotency-Key"))
        resp = await self._request(
            str(spec.get("method", "POST")),
            str(spec["path"]),
            json=payload,
            headers={header: idempotency_key},
        )
        body = json_body(resp)
        ref = get_path(body, str(spec["external_ref_path"]))
        if ref is MISSING or ref is None or ref == "":
            raise PermanentError(
                f"the app accepted the complaint but its answer has no "
                f"{spec['external_ref_path']!r}",
                status_code=resp.status_code,
                response=resp.text[:2000],
            )
        return DeliveryResult(str(ref), resp.status_code, resp.text[:2000])

    def _updates(self, events: Any, spec: Mapping[str, Any]) -> list[StatusUpdate]:
        if isinstance(events, Mapping):
            events = [events]
        if not isinstance(events, list):
            raise PermanentError("status events are not an object or a list of objects")
        out = []
        for event in events:
            try:
                mapped = apply_mapping(spec["fields"], event)
            except MappingError as exc:
                raise PermanentError(f"cannot map status event: {exc}") from exc
            out.append(
                build_status_update(
                    mapped, raw=event, status_map=spec.get("status_map"), actor=self.name
                )
            )
        return out

    async def parse_webhook(self, request: WebhookRequest) -> list[StatusUpdate]:
        spec = self._section("webhook")
        header = str(spec.get("signature_header", "X-Signature")).lower()
        signature = request.headers.get(header)
        if not verify(spec["secret"], request.body, signature, spec.get("signature_prefix", "")):
            raise AuthError("webhook signature is missing or wrong", status_code=401)
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PermanentError("webhook body is not JSON") from exc
        events = get_path(body, spec["events_path"]) if spec.get("events_path") else body
        return self._updates(events, spec)

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        spec = self._section("polling")
        params = {str(spec.get("cursor_param", "cursor")): cursor} if cursor else {}
        resp = await self._request("GET", str(spec["path"]), params=params)
        body = json_body(resp)
        items = get_path(body, str(spec["items_path"]))
        if items is MISSING or items is None:
            items = []
        updates = self._updates(items, spec)
        nxt = get_path(body, spec["next_cursor_path"]) if spec.get("next_cursor_path") else None
        next_cursor = cursor if nxt is MISSING or nxt is None or nxt == "" else str(nxt)
        return UpdateBatch(updates, next_cursor)

    async def check(self) -> CheckResult:
        path = str((self.config.get("check") or {}).get("path", "/"))
        try:
            resp = await self._request("GET", path)
        except ConnectorError as exc:
            return CheckResult(False, f"{type(exc).__name__}: {exc}")
        return CheckResult(True, f"GET {path} answered HTTP {resp.status_code}")

    def polls(self) -> bool:
        return bool(self.config.get("polling"))

    def available_operations(self) -> Mapping[str, Operation]:
        ops = self.config.get("operations") or {}
        return {
            name: Operation(
                name=name,
                description=str(spec.get("description", "")),
                input_schema=spec["input_schema"],
                output_schema=spec["output_schema"],
            )
            for name, spec in ops.items()
        }

    async def call(self, operation: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        ops = self.config.get("operations") or {}
        if operation not in ops:
            raise PermanentError(f"{self.name} instance has no operation {operation!r}")
        spec = ops[operation]
        values = {k: quote(str(v), safe="") for k, v in payload.items()}
        try:
            path = str(spec["path"]).format_map(values)
        except KeyError as exc:
            raise PermanentError(f"operation {operation!r} needs input {exc.args[0]!r}") from None
        method = str(spec.get("method", "GET"))
        kwargs: dict[str, Any] = {}
        try:
            if spec.get("query"):
                kwargs["params"] = apply_mapping(spec["query"], payload)
            if method != "GET":
                kwargs["json"] = apply_mapping(spec["body"], payload) if spec.get("body") else {}
        except MappingError as exc:
            raise PermanentError(f"cannot map input of {operation!r}: {exc}") from exc
        resp = await self._request(method, path, **kwargs)
        body = json_body(resp)
        if not spec.get("response_mapping"):
            if not isinstance(body, dict):
                raise PermanentError(f"operation {operation!r}: the app's answer is not an object")
            return body
        try:
            return apply_mapping(spec["response_mapping"], body)
        except MappingError as exc:
            raise PermanentError(f"cannot map the answer of {operation!r}: {exc}") from exc
