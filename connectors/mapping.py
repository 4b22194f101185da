"""Declarative field mappings, so an OPD app's payload is described in config, not in Python.

A mapping is `{target path: source}` where paths are dotted ("lokasi.lat", "items.0.id") and a
source is one of:

    "location.lat"                                     copy the value found at that path
    {"const": "lampung-in"}                            a constant
    {"path": "category", "map": {"sampah": "SMP"},     copy, translate through a table;
     "default": "LAIN"}                                the default covers a missing value
                                                       or one the table lacks

The same engine maps our Complaint to an app's payload (deliver), an app's event to our
StatusUpdate (webhook, polling), and an app's answer to an operation's output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAPPING_SCHEMA",
    "MISSING",
    "MappingError",
    "apply_mapping",
    "get_path",
    "set_path",
    "source_paths",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

MAPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": r"^[^.\s]+(\.[^.\s]+)*$"},
    "additionalProperties": {
        "oneOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "required": ["const"],
                "properties": {"const": {}},
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "map": {"type": "object"},
                    "default": {},
                },
                "additionalProperties": False,
            },
        ]
    },
}


class MappingError(ValueError):
    """A value the mapping cannot translate (e.g. a category the app's table does not know)."""


def get_path(doc: Any, path: str) -> Any:
    """The value at dotted `path` in `doc`, or MISSING."""
    for part in path.split("."):
        if isinstance(doc, Mapping):
            if part not in doc:
                return MISSING
            doc = doc[part]
        elif isinstance(doc, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(doc) <= index < len(doc):
                return MISSING
            doc = doc[index]
        else:
            return MISSING
    return doc


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted `path` in `doc`, creating the intermediate objects."""
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = doc.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            doc[part] = nxt
        doc = nxt
    doc[parts[-1]] = value


def _resolve(target: str, spec: Any, source: Any) -> Any:
    if isinstance(spec, str):
        return get_path(source, spec)
    if isinstance(spec, Mapping):
        if "const" in spec:
            return spec["const"]
        value = get_path(source, str(spec["path"]))
        table = spec.get("map")
        if value is MISSING or value is None:
            return spec.get("default", value)
        if table is not None:
            key = value if isinstance(value, str) else str(value)
            if key in table:
                return table[key]
            if "default" in spec:
                return spec["default"]
            raise MappingError(
                f"{target}: no mapping for value {value!r} (known: {', '.join(map(str, table))})"
            )
        return value
    raise MappingError(f"{target}: bad mapping source {spec!r}")


def apply_mapping(mapping: Mapping[str, Any], source: Any) -> dict[str, Any]:
    """Build the target document; targets whose source is missing are left out."""
    out: dict[str, Any] = {}
    for target, spec in mapping.items():
        value = _resolve(target, spec, source)
        if value is not MISSING:
            set_path(out, target, value)
    return out


def source_paths(mapping: Mapping[str, Any]) -> frozenset[str]:
    """The source paths a mapping reads (constants read nothing): its data needs."""
    paths: set[str] = set()
    for spec in mapping.values():
        if isinstance(spec, str):
            paths.add(spec)
        elif isinstance(spec, Mapping) and "path" in spec:
            paths.add(str(spec["path"]))
    return frozenset(paths)
