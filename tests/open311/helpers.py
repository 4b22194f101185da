"""Strict parsing of the hub's Open311 answers, as a picky client would do it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def parse_xml(body: bytes, root: str) -> ET.Element:
    """Well-formed XML whose root element is `root` (raises otherwise)."""
    element = ET.fromstring(body)  # our own server's output
    assert element.tag == root, f"root element is {element.tag!r}, expected {root!r}"
    return element


def records(body: bytes, root: str, item: str) -> list[dict[str, str | None]]:
    """`<root><item><field>..</field>..</item>..</root>` as dicts; every child must be `item`."""
    element = parse_xml(body, root)
    rows = []
    for child in element:
        assert child.tag == item, f"unexpected <{child.tag}> in <{root}>"
        rows.append({field.tag: field.text for field in child})
    return rows


def errors(body: bytes) -> list[dict[str, Any]]:
    return records(body, "errors", "error")
