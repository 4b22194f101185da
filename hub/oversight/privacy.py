"""Public text about a report with the reporter's identity scrubbed (PDP law, UU 27/2022).

`complaint_view(..., Audience.PUBLIC)` already drops contact details and the street address and
blanks e-mails, NIK and phone numbers typed into text. Citizens also write their own name, their
house number or a spaced-out NIK into a report; this module removes those too, using what the
report itself tells us (the contact name and the address it gave) plus Indonesian phrasings.
"""

from __future__ import annotations

import re
from typing import Any

from hub.complaints.models import Complaint
from hub.complaints.views import Audience, complaint_view, redact_text

NAME = "[nama]"
ADDRESS = "[alamat]"

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


def scrub(text: str, complaint: Complaint | None = None) -> str:
    """Text as the public may read it: no name, phone, e-mail, NIK or house number."""
    text = _SPACED_PHONE.sub("[telepon]", text)
    text = redact_text(text)
    text = _SPACED_NIK.sub("[NIK]", text)
    if complaint is not None:
        address = (complaint.location or {}).get("address")
        if isinstance(address, str) and address.strip():
            text = re.sub(re.escape(address.strip()), ADDRESS, text, flags=re.IGNORECASE)
        for name in _known_names(complaint):
            text = re.sub(rf"\b{re.escape(name)}\b", NAME, text, flags=re.IGNORECASE)
    text = _INTRODUCED.sub(lambda m: m.group(1) + NAME, text)
    text = _ADDRESSED.sub(lambda m: m.group(1) + NAME, text)
    return _HOUSE_NUMBER.sub("No. [..]", text)


def public_complaint(complaint: Complaint) -> dict[str, Any]:
    """The public view of a report, with free text scrubbed of the reporter's identity."""
    if complaint.privacy == "confidential":
        raise ValueError("confidential reports have no public view")
    view = complaint_view(complaint, Audience.PUBLIC)
    view["title"] = scrub(complaint.title, complaint)
    view["description"] = scrub(complaint.description, complaint)
    return view


def public_note(note: str | None, complaint: Complaint) -> str | None:
    return scrub(note, complaint) if note else None
