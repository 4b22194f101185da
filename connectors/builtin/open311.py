"""`open311`: OPD apps that already speak Open311 GeoReport v2 (JSON format).

deliver   POST {base}/requests.json, form-encoded: api_key, service_code (mapped from our
          category), lat/long or address_string, description; the id is read from
          `[{"service_request_id": ...}]`, or from GET tokens/{token}.json when the server
          answers with a token. Open311 has no idempotency of its own: the key travels as the
          `Idempotency-Key` header and, when configured, in a form field too.
polling   GET {base}/servicerequestupdates.json?start_date=<cursor> (FixMyStreet's extension);
          the cursor is the newest `updated_datetime` seen. The window is inclusive, so an
          update can come twice: the hub de-duplicates by `source_event_id` (= update_id).
status    FixMyStreet extended statuses map to ours as DESIGN.md has them; plain open/closed
          mean acknowledged/resolved; `status_map` overrides per instance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import CheckResult, Connector, DeliveryResult, UpdateBatch
from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.http import json_body, send
from connectors.mapping import MAPPING_SCHEMA, MappingError, apply_mapping
from connectors.updates import build_status_update, parse_time
from schemas.models import Complaint, Status, StatusUpdate

__all__ = ["EXTENDED_STATUS", "Open311Connector"]

# FixMyStreet's extended statuses (and Open311's two) -> ours.
EXTENDED_STATUS: dict[str, str] = {
    "FOR_TRIAGE": "acknowledged",
    "OPEN": "acknowledged",
    "CONFIRMED": "acknowledged",
    "INVESTIGATING": "acknowledged",
    "INTERNAL_REFERRAL": "acknowledged",
    "IN_PROGRESS": "in_progress",
    "ACTION_SCHEDULED": "in_progress",
    "REOPEN": "in_progress",
    "FIXED": "resolved",
    "CLOSED": "resolved",
    "NOT_COUNCILS_RESPONSIBILITY": "redirected",
    "DUPLICATE": "duplicate",
    "NO_FURTHER_ACTION": "rejected",
    "UNABLE_TO_FIX": "rejected",
    "WONT_FIX": "rejected",
}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Open311 GeoReport v2 connector",
    "type": "object",
    "required": ["base_url", "api_key", "service_codes"],
    "additionalProperties": False,
    "properties": {
        "base_url": {"type": "string", "pattern": "^https?://", "description": "Endpoint root."},
        "api_key": {"type": "string", "minLength": 1, "writeOnly": True},
        "jurisdiction_id": {"type": "string"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
        "service_codes": {
            "type": "object",
            "description": "Our category -> the server's service_code.",
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "default_service_code": {"type": "string", "minLength": 1},
        "extra_fields": {**MAPPING_SCHEMA, "description": "More form fields, e.g. attribute[x]."},
        "idempotency_field": {"type": "string", "minLength": 1},
        "status_map": {
            "type": "object",
            "description": "Overrides: the server's status or external_status_code -> ours.",
            "additionalProperties": {"enum": [s.value for s in Status]},
        },
        "poll_updates": {"type": "boolean", "default": True},
    },
}


def _error_text(resp_text: str) -> str:
    """Open311 errors are `[{"code": ..., "description": ...}]`; show the descriptions."""
    try:
        doc = json.loads(resp_text)
    except ValueError:
        return ""
    if isinstance(doc, list):
        return "; ".join(str(e.get("description", "")) for e in doc if isinstance(e, dict))
    return ""


class Open311Connector(Connector):
    name = "open311"
    version = "1.0.0"
    description = "Open311 GeoReport v2 server (requests.json, servicerequestupdates polling)"
    config_schema = CONFIG_SCHEMA
    fields_needed = frozenset(
        {"id", "tracking_code", "title", "description", "category", "location", "attachments"}
    )

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.base_url = str(self.config["base_url"]).rstrip("/")
        self.timeout = float(self.config.get("timeout", 10))

    def _common(self) -> dict[str, str]:
        out = {"api_key": str(self.config["api_key"])}
        if self.config.get("jurisdiction_id"):
            out["jurisdiction_id"] = str(self.config["jurisdiction_id"])
        return out

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await send(
                self.client, method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except ConnectorError as exc:
            detail = _error_text(exc.response or "")
            if detail:
                exc.args = (f"{exc.args[0]}: {detail}",)
            raise

    def service_code(self, category: str | None) -> str:
        codes: Mapping[str, str] = self.config["service_codes"]
        if category and category in codes:
            return codes[category]
        if self.config.get("default_service_code"):
            return str(self.config["default_service_code"])
        raise PermanentError(
            f"no Open311 service_code for category {category!r} "
            f"(mapped: {', '.join(codes) or 'none'}; set default_service_code)"
        )

    def form(self, complaint: Complaint, idempotency_key: str) -> dict[str, str]:
        doc = self.minimised(complaint)
        form = {**self._common(), "service_code": self.service_code(complaint.category)}
        location = doc.get("location") or {}
        if location.get("lat") is not None and location.get("lon") is not None:
            form["lat"], form["long"] = str(location["lat"]), str(location["lon"])
        if location.get("address"):
            form["address_string"] = str(location["address"])
        if "lat" not in form and "address_string" not in form:
            raise PermanentError("Open311 needs lat/long or an address; the complaint has neither")
        form["description"] = f"{doc['title']}\n\n{doc['description']}"[:4000]
        attachments = doc.get("attachments") or []
        if attachments:
            form["media_url"] = str(attachments[0]["url"])
        try:
            extra = apply_mapping(self.config.get("extra_fields") or {}, doc)
        except MappingError as exc:
            raise PermanentError(f"cannot map extra fields: {exc}") from exc
        form.update({k: str(v) for k, v in extra.items() if v is not None})
        if self.config.get("idempotency_field"):
            form[str(self.config["idempotency_field"])] = idempotency_key
        return form

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        resp = await self._send(
            "POST",
            "/requests.json",
            data=self.form(complaint, idempotency_key),
            headers={"Idempotency-Key": idempotency_key},
        )
        body = json_body(resp)
        first = body[0] if isinstance(body, list) and body else body
        if not isinstance(first, dict):
            raise TransientError("requests.json answered without a request", response=resp.text)
        ref = first.get("service_request_id")
        if not ref and first.get("token"):
            ref = await self._resolve_token(str(first["token"]))
        if not ref:
            raise PermanentError("requests.json answered with neither id nor token")
        return DeliveryResult(str(ref), resp.status_code, resp.text[:2000])

    async def _resolve_token(self, token: str) -> str:
        resp = await self._send(
            "GET", f"/tokens/{quote(token, safe='')}.json", params=self._common()
        )
        body = json_body(resp)
        first = body[0] if isinstance(body, list) and body else body
        ref = first.get("service_request_id") if isinstance(first, dict) else None
        if not ref:
            # Accepted but not numbered yet: retrying is safe, the key makes it the same request.
            raise TransientError(f"request accepted as token {token}; no id assigned yet")
        return str(ref)

    def status_of(self, item: Mapping[str, Any]) -> str:
        overrides: Mapping[str, str] = self.config.get("status_map") or {}
        for raw in (item.get("external_status_code"), item.get("status")):
            if not raw:
                continue
            key = str(raw)
            if key in overrides:
                return overrides[key]
            normal = key.strip().upper().replace(" ", "_")
            if normal in EXTENDED_STATUS:
                return EXTENDED_STATUS[normal]
        return str(item.get("status"))

    def update_of(self, item: Mapping[str, Any]) -> StatusUpdate:
        mapped = {
            "external_ref": item.get("service_request_id"),
            "status": self.status_of(item),
            "note": item.get("description") or item.get("status_notes"),
            "occurred_at": item.get("updated_datetime"),
            "source_event_id": item.get("update_id"),
        }
        return build_status_update(mapped, raw=dict(item), actor=self.name)

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        if not self.config.get("poll_updates", True):
            raise PermanentError("this open311 instance does not poll (poll_updates is false)")
        params = self._common()
        if cursor:
            params["start_date"] = cursor
        resp = await self._send("GET", "/servicerequestupdates.json", params=params)
        body = json_body(resp)
        items = body.get("service_request_updates") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise TransientError("servicerequestupdates.json answered without a list")
        updates = [self.update_of(i) for i in items if isinstance(i, dict)]
        newest = cursor
        for update in updates:
            if newest is None or update.occurred_at > parse_time(newest):
                newest = update.occurred_at.isoformat()
        return UpdateBatch(updates, newest)

    async def check(self) -> CheckResult:
        params = {k: v for k, v in self._common().items() if k != "api_key"}
        try:
            resp = await self._send("GET", "/services.json", params=params)
            services = json_body(resp)
        except ConnectorError as exc:
            return CheckResult(False, f"{type(exc).__name__}: {exc}")
        if not isinstance(services, list):
            return CheckResult(False, "services.json did not answer a list")
        known = {s.get("service_code") for s in services if isinstance(s, dict)}
        wanted = set(self.config["service_codes"].values())
        if self.config.get("default_service_code"):
            wanted.add(self.config["default_service_code"])
        missing = sorted(wanted - known)
        if missing:
            return CheckResult(False, f"the server has no service_code {', '.join(missing)}")
        return CheckResult(True, f"{len(known)} services; every mapped service_code exists")
