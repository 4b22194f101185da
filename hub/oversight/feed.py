"""An Atom feed (RFC 4287) of new public reports, built as an element tree: user text is
escaped by the serializer, never pasted into markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building only; we never parse untrusted XML
from collections.abc import Sequence
from datetime import datetime
from typing import Any

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ET.register_namespace("", ATOM)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def atom(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    entries: Sequence[dict[str, Any]],
    updated: datetime,
) -> bytes:
    """`entries` are public report views (hub.oversight.service.item) plus `url`."""
    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "id"})
    _el(root, "id", feed_id)
    _el(root, "title", title)
    _el(root, "updated", updated.isoformat())
    _el(root, "link", rel="self", href=self_url, type="application/atom+xml")
    _el(root, "link", rel="alternate", href=page_url, type="text/html")
    author = _el(root, "author")
    _el(author, "name", "Lampung-In Hub, Pemerintah Provinsi Lampung")
    for entry in entries:
        node = _el(root, "entry")
        _el(node, "id", f"{feed_id}:{entry['tracking_code']}")
        _el(node, "title", f"{entry['tracking_code']}: {entry['title']}")
        _el(node, "published", entry["created_at"])
        _el(node, "updated", entry["updated_at"])
        _el(node, "link", rel="alternate", href=entry["url"], type="text/html")
        if entry.get("category"):
            label = (entry.get("category_name") or {}).get("id") or entry["category"]
            _el(node, "category", term=entry["category"], label=label)
        status = entry["status_label"]["id"]
        where = entry.get("institution_name") or "belum ditetapkan"
        summary = f"Status: {status}. OPD: {where}. {entry['description']}"
        _el(node, "summary", summary, type="text")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
