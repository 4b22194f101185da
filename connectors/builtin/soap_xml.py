"""`soap_xml`: legacy OPD apps with a SOAP 1.1/1.2 web service, described in config.

Envelopes are built and read with lxml rather than zeep: zeep loads the WSDL with blocking I/O and
its own HTTP clients (outside the one httpx seam, so neither respx nor the shared pool apply), and
legacy government WSDLs are often incomplete. A declarative element mapping needs no WSDL at all:

    deliver   <m:{operation}> with child elements from the field mapping (dotted = nested) and
              the idempotency key in `idempotency_element`; the ticket read at `external_ref_path`
    polling   <m:{operation}><m:{cursor_element}>cursor</...>; repeated `items_element` records
              mapped to StatusUpdates, the next cursor read from `next_cursor_element`
    auth      HTTP Basic, or WS-Security UsernameToken (PasswordText) in the SOAP header

SOAP faults are classified by code: Client/Sender -> PermanentError, FailedAuthentication/
InvalidSecurity -> AuthError, Server/Receiver and anything else -> TransientError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from lxml import etree

from connectors.base import CheckResult, Connector, DeliveryResult, UpdateBatch
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from connectors.http import classify_exception, classify_response, excerpt
from connectors.mapping import (
    MAPPING_SCHEMA,
    MISSING,
    MappingError,
    apply_mapping,
    get_path,
    source_paths,
)
from connectors.updates import STATUS_MAP_SCHEMA, build_status_update
from schemas.models import Complaint, StatusUpdate

__all__ = ["SoapXmlConnector", "element_to_dict", "parse_xml"]

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_WSS = "http://docs.oasis-open.org/wss/2004/01/"
# The URI naming a UsernameToken with a clear-text password (not itself a password).
PASSWORD_TEXT = _WSS + "oasis-200401-wss-username-token-profile-1.0#PasswordText"

_SECRET = {"type": "string", "minLength": 1, "writeOnly": True}
_NAME = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$"}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SOAP/XML connector",
    "type": "object",
    "required": ["endpoint", "namespace"],
    "additionalProperties": False,
    "properties": {
        "endpoint": {"type": "string", "pattern": "^https?://"},
        "namespace": {"type": "string", "minLength": 1},
        "soap_version": {"enum": ["1.1", "1.2"], "default": "1.1"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 15},
        "auth": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"type": {"const": "none"}},
                    "required": ["type"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {
                        "type": {"enum": ["basic", "ws_security"]},
                        "username": {"type": "string", "minLength": 1},
                        "password": _SECRET,
                    },
                    "required": ["type", "username", "password"],
                    "additionalProperties": False,
                },
            ]
        },
        "deliver": {
            "type": "object",
            "required": ["operation", "fields", "external_ref_path"],
            "additionalProperties": False,
            "properties": {
                "operation": _NAME,
                "soap_action": {"type": "string"},
                "fields": MAPPING_SCHEMA,
                "idempotency_element": _NAME,
                "external_ref_path": {"type": "string", "minLength": 1},
            },
        },
        "polling": {
            "type": "object",
            "required": ["operation", "items_element", "fields"],
            "additionalProperties": False,
            "properties": {
                "operation": _NAME,
                "soap_action": {"type": "string"},
                "cursor_element": _NAME,
                "items_element": {"type": "string", "minLength": 1},
                "next_cursor_element": {"type": "string", "minLength": 1},
                "fields": MAPPING_SCHEMA,
                "status_map": STATUS_MAP_SCHEMA,
            },
        },
        "check": {
            "type": "object",
            "required": ["operation"],
            "additionalProperties": False,
            "properties": {"operation": _NAME, "soap_action": {"type": "string"}},
        },
    },
}

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no entities, no DTD, no network (XXE-safe)."""
    return etree.fromstring(data, parser=_PARSER)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def element_to_dict(element: etree._Element) -> Any:
    """Children by local name (repeated names become lists); a leaf is its text."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return (element.text or "").strip() or None
    grouped: dict[str, list[Any]] = {}
    for child in children:
        grouped.setdefault(_local(child.tag), []).append(element_to_dict(child))
    return {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: etree._Element, ns: str, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _append(parent, ns, name, item)
        return
    child = etree.SubElement(parent, f"{{{ns}}}{name}")
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _append(child, ns, str(key), sub)
    else:
        child.text = _text(value)


class SoapXmlConnector(Connector):
    """A SOAP web service of a legacy OPD app; operations and elements come from config."""

    name = "soap_xml"
    version = "1.0.0"
    description = "SOAP/XML web service of a legacy app (declarative elements, polled status)"
    config_schema = CONFIG_SCHEMA

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.ns = str(self.config["namespace"])
        self.soap12 = self.config.get("soap_version", "1.1") == "1.2"
        self.timeout = float(self.config.get("timeout", 15))

    def needed_fields(self) -> frozenset[str]:
        """Exactly the complaint paths the delivery mapping reads: nothing else leaves the hub."""
        return source_paths((self.config.get("deliver") or {}).get("fields") or {})

    def _section(self, name: str) -> Mapping[str, Any]:
        section = self.config.get(name)
        if not isinstance(section, Mapping):
            raise ConfigError(f"this {self.name} instance has no {name!r} section in its config")
        return section

    def envelope(self, operation: str, body: Mapping[str, Any]) -> bytes:
        """The request envelope: WS-Security header when configured, then the operation."""
        env_ns = SOAP12 if self.soap12 else SOAP11
        envelope = etree.Element(f"{{{env_ns}}}Envelope", nsmap={"soap": env_ns, "m": self.ns})
        auth = self.config.get("auth") or {}
        if auth.get("type") == "ws_security":
            header = etree.SubElement(envelope, f"{{{env_ns}}}Header")
            security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
            token = etree.SubElement(security, f"{{{WSSE}}}UsernameToken")
            etree.SubElement(token, f"{{{WSSE}}}Username").text = str(auth["username"])
            password = etree.SubElement(token, f"{{{WSSE}}}Password", Type=PASSWORD_TEXT)
            password.text = str(auth["password"])
        body_el = etree.SubElement(envelope, f"{{{env_ns}}}Body")
        op = etree.SubElement(body_el, f"{{{self.ns}}}{operation}")
        for key, value in body.items():
            _append(op, self.ns, key, value)
        return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))

    async def invoke(
        self, operation: str, body: Mapping[str, Any], soap_action: str | None = None
    ) -> dict[str, Any]:
        """Call one operation; its response element as a dict (children by local name)."""
        action = soap_action if soap_action is not None else f"{self.ns}/{operation}"
        if self.soap12:
            headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        else:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        auth = self.config.get("auth") or {}
        extra: dict[str, Any] = {}
        if auth.get("type") == "basic":
            extra["auth"] = httpx.BasicAuth(str(auth["username"]), str(auth["password"]))
        try:
            resp = await self.client.post(
                str(self.config["endpoint"]),
                content=self.envelope(operation, body),
                headers=headers,
                timeout=self.timeout,
                **extra,
            )
        except httpx.HTTPError as exc:
            raise classify_exception(exc) from exc
        root = self._parse(resp)
        if root is None:
            error = classify_response(resp)
            raise error or TransientError(
                f"{operation}: the answer is not XML",
                status_code=resp.status_code,
                response=excerpt(resp.text),
            )
        body_el = next((c for c in root if _local(c.tag) == "Body"), None)
        if body_el is None or len(body_el) == 0:
            raise TransientError(
                f"{operation}: the answer has no SOAP Body", response=excerpt(resp.text)
            )
        first = body_el[0]
        if _local(first.tag) == "Fault":
            raise self._fault(first, resp)
        error = classify_response(resp)
        if error is not None:
            raise error
        result = element_to_dict(first)
        return result if isinstance(result, dict) else {}

    def _parse(self, resp: httpx.Response) -> etree._Element | None:
        try:
            root = parse_xml(resp.content)
        except etree.XMLSyntaxError:
            return None
        return root if _local(root.tag) == "Envelope" else None

    def _fault(self, fault: etree._Element, resp: httpx.Response) -> ConnectorError:
        info = element_to_dict(fault) or {}
        if self.soap12:  # <Code><Value>soap:Sender</Value><Subcode>...</Subcode></Code>
            sub, top = get_path(info, "Code.Subcode.Value"), get_path(info, "Code.Value")
            code = str(sub if isinstance(sub, str) else top if isinstance(top, str) else "")
            text = get_path(info, "Reason.Text")
            reason = text if isinstance(text, str) else ""
        else:
            code, reason = str(info.get("faultcode") or ""), str(info.get("faultstring") or "")
        local = code.rsplit(":", 1)[-1]
        message = f"SOAP fault {code}: {reason}"
        kwargs: dict[str, Any] = {"status_code": resp.status_code, "response": excerpt(resp.text)}
        if local in ("FailedAuthentication", "InvalidSecurity", "InvalidSecurityToken"):
            return AuthError(message, **kwargs)
        if local in ("Client", "Sender", "VersionMismatch", "MustUnderstand"):
            return PermanentError(message, **kwargs)
        return TransientError(message, **kwargs)

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        spec = self._section("deliver")
        try:
            body = apply_mapping(spec["fields"], self.minimised(complaint))
        except MappingError as exc:
            raise PermanentError(f"cannot map complaint {complaint.tracking_code}: {exc}") from exc
        if spec.get("idempotency_element"):
            body[str(spec["idempotency_element"])] = idempotency_key
        result = await self.invoke(str(spec["operation"]), body, spec.get("soap_action"))
        ref = get_path(result, str(spec["external_ref_path"]))
        if ref is MISSING or ref in (None, ""):
            where = spec["external_ref_path"]
            raise PermanentError(f"the app accepted the complaint but its answer has no {where!r}")
        return DeliveryResult(str(ref), 200, None)

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        spec = self._section("polling")
        body: dict[str, Any] = {}
        if spec.get("cursor_element") and cursor is not None:
            body[str(spec["cursor_element"])] = cursor
        result = await self.invoke(str(spec["operation"]), body, spec.get("soap_action"))
        items = get_path(result, str(spec["items_element"]))
        if items is MISSING or items is None:
            items = []
        elif not isinstance(items, list):
            items = [items]
        updates: list[StatusUpdate] = []
        for item in items:
            try:
                mapped = apply_mapping(spec["fields"], item)
            except MappingError as exc:
                raise PermanentError(f"cannot map status record: {exc}") from exc
            updates.append(
                build_status_update(
                    mapped, raw=item, status_map=spec.get("status_map"), actor=self.name
                )
            )
        nxt = (
            get_path(result, str(spec["next_cursor_element"]))
            if spec.get("next_cursor_element")
            else None
        )
        next_cursor = cursor if nxt is MISSING or nxt in (None, "") else str(nxt)
        return UpdateBatch(updates, next_cursor)

    async def check(self) -> CheckResult:
        spec = self.config.get("check")
        if not isinstance(spec, Mapping):
            return CheckResult(True, "no check operation configured")
        try:
            await self.invoke(str(spec["operation"]), {}, spec.get("soap_action"))
        except ConnectorError as exc:
            return CheckResult(False, f"{type(exc).__name__}: {exc}")
        return CheckResult(True, f"{spec['operation']} answered")
