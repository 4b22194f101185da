"""Public views of reports with the reporter's identity scrubbed (PDP law, UU 27/2022).

`complaint_view(..., Audience.PUBLIC)` drops contact details and the street address, and its
free text goes through `public_text`: e-mails, NIK and phone numbers (also spaced out), the
reporter's own name and address wherever they were typed, "nama saya ..."/"Pak ..." names, and
house numbers are blanked.
"""

from __future__ import annotations

from typing import Any

from hub.complaints.models import Complaint
from hub.complaints.views import Audience, complaint_view, public_text

__all__ = ["public_complaint", "public_note", "scrub"]


def scrub(text: str, complaint: Complaint | None = None) -> str:
    return public_text(text, complaint)


def public_complaint(complaint: Complaint) -> dict[str, Any]:
    """The public view of a report; confidential reports have none."""
    if complaint.privacy == "confidential":
        raise ValueError("confidential reports have no public view")
    return complaint_view(complaint, Audience.PUBLIC)


def public_note(note: str | None, complaint: Complaint) -> str | None:
    return public_text(note, complaint) if note else None
