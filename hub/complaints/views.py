"""What each caller may see of a complaint (PDP law, UU 27/2022: personal data stays private)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from hub.access import Principal
from hub.complaints.lifecycle import LABELS
from hub.complaints.models import Complaint, ComplaintEvent
from schemas.models import Status


class Audience(StrEnum):
    PUBLIC = "public"  # everyone: no personal data, ever
    OPD = "opd"  # the assigned OPD: the case, but not an anonymous reporter's identity
    OWNER = "owner"  # the reporter
    ADMIN = "admin"


def audience(principal: Principal, complaint: Complaint) -> Audience:
    if principal.is_admin:
        return Audience.ADMIN
    if principal.subject and complaint.reporter and principal.subject == complaint.reporter:
        return Audience.OWNER
    if principal.opd is not None and principal.opd == complaint.institution:
        return Audience.OPD
    return Audience.PUBLIC


def visible(principal: Principal, complaint: Complaint) -> bool:
    """Confidential (rahasia) reports are hidden from the public entirely."""
    return complaint.privacy != "confidential" or audience(principal, complaint) != Audience.PUBLIC


_PERSONAL = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "[NIK]"),
    (re.compile(r"(?:\+62|\b62|\b0)8[\d\s-]{7,14}\d"), "[telepon]"),
]


def redact_text(text: str) -> str:
    """Blank out e-mail addresses, NIK numbers and phone numbers citizens type into free text."""
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


def _label(status: str) -> dict[str, str]:
    return LABELS[Status(status)]


def _public_location(location: dict[str, Any] | None) -> dict[str, Any] | None:
    """Coordinates rounded to ~100 m, no street address: enough to oversee, not to find a home."""
    if not location:
        return None
    public = {k: location.get(k) for k in ("region", "kecamatan", "kelurahan")}
    for axis in ("lat", "lon"):
        value = location.get(axis)
        public[axis] = round(value, 3) if isinstance(value, int | float) else None
    return public


def complaint_view(complaint: Complaint, who: Audience) -> dict[str, Any]:
    full = who != Audience.PUBLIC
    data: dict[str, Any] = {
        "id": str(complaint.id),
        "tracking_code": complaint.tracking_code,
        "channel": complaint.channel,
        "privacy": complaint.privacy,
        "sensitive": complaint.sensitive,
        "title": complaint.title if full else redact_text(complaint.title),
        "description": complaint.description if full else redact_text(complaint.description),
        "category": complaint.category,
        "location": complaint.location if full else _public_location(complaint.location),
        "attachments": complaint.attachments if full else [],
        "institution": complaint.institution,
        "status": complaint.status,
        "status_label": _label(complaint.status),
        "created_at": complaint.created_at.isoformat(),
        "updated_at": complaint.updated_at.isoformat(),
    }
    if full:
        data["external_refs"] = complaint.external_refs
    if who in (Audience.OWNER, Audience.ADMIN) or (
        who == Audience.OPD and complaint.privacy != "anonymous"
    ):
        data.update(
            idempotency_key=complaint.idempotency_key,
            reporter=complaint.reporter,
            contact=complaint.contact,
        )
    return data


def event_view(event: ComplaintEvent, who: Audience) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": event.seq,
        "type": event.type,
        "status": event.status,
        "status_label": _label(event.status) if event.status else None,
        "note": event.note if who != Audience.PUBLIC else redact_text(event.note or "") or None,
        "occurred_at": event.occurred_at.isoformat(),
    }
    if who in (Audience.OPD, Audience.ADMIN):
        data.update(internal_note=event.internal_note, actor=event.actor, data=event.data)
    return data
