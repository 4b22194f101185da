"""Turning an OPD app's status event (already mapped to our field names) into a StatusUpdate.

Shared by every connector that reads status: the app's status vocabulary is translated through a
configured table, timestamps without a zone are read as WIB (UTC+7, Lampung's time zone), and an
event without an id gets a stable one from its content so a re-sent event is still de-duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from connectors.errors import PermanentError
from schemas.models import Status, StatusUpdate

__all__ = ["STATUS_MAP_SCHEMA", "WIB", "build_status_update", "content_id", "parse_time"]

WIB = timezone(timedelta(hours=7), "WIB")

STATUS_MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The app's status values (keys) and ours (values).",
    "additionalProperties": {"enum": [s.value for s in Status]},
}


def content_id(raw: Any) -> str:
    """A stable id for an event that carries none, from its canonical JSON."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:48]


def parse_time(value: Any, default_tz: timezone = WIB) -> datetime:
    """An ISO 8601 string or a Unix timestamp, always with a zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise PermanentError(f"not a timestamp: {value!r}") from exc
    else:
        raise PermanentError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=default_tz)
    return moment


def _status(value: Any, status_map: Mapping[str, str] | None) -> Status:
    key = value if isinstance(value, str) else str(value)
    if status_map:
        if key in status_map:
            key = status_map[key]
        else:
            folded = {k.casefold(): v for k, v in status_map.items()}
            if key.casefold() in folded:
                key = folded[key.casefold()]
    try:
        return Status(key)
    except ValueError:
        known = ", ".join(status_map) if status_map else ", ".join(s.value for s in Status)
        raise PermanentError(f"unknown status {value!r} from the app (known: {known})") from None


def build_status_update(
    mapped: Mapping[str, Any],
    *,
    raw: Any,
    status_map: Mapping[str, str] | None = None,
    default_tz: timezone = WIB,
    actor: str | None = None,
) -> StatusUpdate:
    """A validated StatusUpdate; PermanentError names every missing or malformed field."""
    fields: dict[str, Any] = {k: v for k, v in mapped.items() if v is not None}
    if "status" not in fields:
        raise PermanentError("status event has no status")
    fields["status"] = _status(fields["status"], status_map)
    if "occurred_at" not in fields:
        raise PermanentError("status event has no time (occurred_at)")
    fields["occurred_at"] = parse_time(fields["occurred_at"], default_tz)
    if "external_ref" in fields:
        fields["external_ref"] = str(fields["external_ref"])
    if fields.get("source_event_id") in (None, ""):
        fields["source_event_id"] = content_id(raw)
    else:
        fields["source_event_id"] = str(fields["source_event_id"])
    if actor and "actor" not in fields:
        fields["actor"] = actor
    try:
        return StatusUpdate(**fields)
    except ValidationError as exc:
        listing = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '$'}: {e['msg']}" for e in exc.errors()
        )
        raise PermanentError(f"status event does not make a valid StatusUpdate: {listing}") from exc
