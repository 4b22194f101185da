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


# Citizens also write their name, a spaced-out NIK or phone, and their house number into reports.
_SPACED_NIK = re.compile(r"(?<!\d)\d{4}(?:[ .-]?\d{4}){3}(?!\d)")
_SPACED_PHONE = re.compile(r"(?:\+62|\b62|\b0)[\s.-]?8[\d\s.-]{7,16}\d")
_HOUSE_NUMBER = re.compile(r"\b(?:No|Nomor|Nmr)\.?\s*\d+[A-Za-z]?(?:\s*/\s*\d+)?", re.IGNORECASE)
_CAPITALISED = r"[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}"
_INTRODUCED = re.compile(
    r"((?i:nama\s+saya|saya\s+bernama|atas\s+nama|a\.\s?n\.|nama\s+pelapor)\s*:?\s+)" + _CAPITALISED
)
_ADDRESSED = re.compile(
    r"\b((?:Bapak|Ibu|Pak|Bu|Sdr\.?|Sdri\.?|Saudara|Saudari)\s+)" + _CAPITALISED
)


def _known_names(complaint: Complaint) -> list[str]:
    name = (complaint.contact or {}).get("name")
    if not isinstance(name, str) or not name.strip():
        return []
    parts = [p for p in re.split(r"\s+", name.strip()) if len(p) >= 3]
    return sorted({name.strip(), *parts}, key=len, reverse=True)  # whole name before its parts


def public_text(text: str, complaint: Complaint | None = None) -> str:
    """Free text as the public may read it: no name, phone, e-mail, NIK or house number.

    Uses what the report itself tells us (the contact name and the address it gave) and common
    Indonesian phrasings ("nama saya ...", "Pak ...").
    """
    text = _SPACED_PHONE.sub("[telepon]", text)
    text = redact_text(text)
    text = _SPACED_NIK.sub("[NIK]", text)
    if complaint is not None:
        address = (complaint.location or {}).get("address")
        if isinstance(address, str) and address.strip():
            text = re.sub(re.escape(address.strip()), "[alamat]", text, flags=re.IGNORECASE)
        for name in _known_names(complaint):
            text = re.sub(rf"\b{re.escape(name)}\b", "[nama]", text, flags=re.IGNORECASE)
    text = _INTRODUCED.sub(lambda m: m.group(1) + "[nama]", text)
    text = _ADDRESSED.sub(lambda m: m.group(1) + "[nama]", text)
    return _HOUSE_NUMBER.sub("No. [..]", text)


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
        "title": complaint.title if full else public_text(complaint.title, complaint),
        "description": complaint.description
        if full
        else public_text(complaint.description, complaint),
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


# Staff-only timeline entries: duplicate suggestions and decisions, service-level escalations.
INTERNAL_EVENTS = frozenset(
    {"complaint.possible_duplicate", "complaint.duplicate_dismissed", "complaint.escalated"}
)


def staff(who: Audience) -> bool:
    return who in (Audience.OPD, Audience.ADMIN)


def shown(event: ComplaintEvent, who: Audience) -> bool:
    """Staff see every entry; citizens see the steps of the lifecycle and the notes written for
    them, not operational entries (the OPD inbox, deliveries, duplicates, escalations)."""
    if staff(who):
        return True
    return event.type not in INTERNAL_EVENTS and (event.status is not None or bool(event.note))


def event_view(event: ComplaintEvent, who: Audience) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": event.seq,
        "type": event.type,
        "status": event.status,
        "status_label": _label(event.status) if event.status else None,
        "note": event.note
        if who != Audience.PUBLIC
        else public_text(event.note or "", event.complaint) or None,
        "occurred_at": event.occurred_at.isoformat(),
    }
    if who in (Audience.OPD, Audience.ADMIN):
        data.update(internal_note=event.internal_note, actor=event.actor, data=event.data)
    return data
