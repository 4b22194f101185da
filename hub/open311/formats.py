"""Rendering GeoReport v2 answers as JSON or XML, and its error list.

XML is built as an element tree (ElementTree), never by pasting strings, so user text cannot break
or inject markup; characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # building only; we never parse untrusted XML
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.responses import Response

FORMATS = ("json", "xml")
MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
WIB = timezone(timedelta(hours=7), "WIB")

# Element name for the members of a list, by the list's element name (the spec's XML shapes).
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(Exception):
    """An error the spec's way: status 404 (unknown thing), 403 (bad api_key), 400 (the rest)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class NotFound(Open311Error):
    def __init__(self, description: str) -> None:
        super().__init__(404, description)


class BadRequest(Open311Error):
    def __init__(self, description: str) -> None:
        super().__init__(400, description)


class BadApiKey(Open311Error):
    def __init__(self, description: str = "Invalid or missing api_key.") -> None:
        super().__init__(403, description)


class Invalid(Exception):
    """Several errors found in one request, answered together."""

    def __init__(self, errors: Sequence[Open311Error]) -> None:
        super().__init__("; ".join(e.description for e in errors))
        self.errors = list(errors)


def stamp(value: datetime | None) -> str | None:
    """W3C datetime with the jurisdiction's offset (WIB, +07:00), whole seconds."""
    if value is None:
        return None
    return value.astimezone(WIB).replace(microsecond=0).isoformat()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        name = SINGULAR.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, name), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return data


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> Response:
    """`value` (a list for list roots, a mapping otherwise) as JSON or under `<root>` as XML."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status, media_type=MEDIA["xml"])
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), status_code=status, media_type=MEDIA["json"])


def error_response(fmt: str, errors: Sequence[Open311Error]) -> Response:
    status = errors[0].status if errors else 400
    body = [{"code": e.status, "description": e.description} for e in errors]
    return render(fmt if fmt in FORMATS else "json", "errors", body, status=status)
