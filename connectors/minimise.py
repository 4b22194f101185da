"""Data minimisation: an OPD app receives only the complaint fields its connector declares.

UU 27/2022 (personal data protection) asks for the minimum; a reporter's phone or e-mail is not
sent to an OPD that does not need it. An *anonymous* complaint also hides the reporter's identity
(`contact`, `reporter`) from the OPD, whatever the connector asks for, unless the OPD's need for it
was established and the caller says so (`reveal_anonymous=True`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schemas.models import Complaint, Privacy

__all__ = ["IDENTITY_FIELDS", "minimise", "unknown_fields"]

IDENTITY_FIELDS = frozenset({"contact", "reporter"})


def unknown_fields(fields: Iterable[str]) -> list[str]:
    """Names in `fields` whose first segment is not a Complaint field (a typo in a declaration)."""
    known = set(Complaint.model_fields)
    return sorted(f for f in fields if f.split(".", 1)[0] not in known)


def _pick(doc: dict[str, Any], parts: list[str], out: dict[str, Any]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in doc:
        return
    if not rest:
        out[head] = doc[head]
        return
    value = doc[head]
    if isinstance(value, dict):
        sub = out.setdefault(head, {})
        if isinstance(sub, dict):
            _pick(value, rest, sub)
    elif value is None:
        out.setdefault(head, None)


def minimise(
    complaint: Complaint, fields_needed: Iterable[str] | None, *, reveal_anonymous: bool = False
) -> dict[str, Any]:
    """The complaint as a JSON-ready dict holding only `fields_needed` (dotted paths allowed)."""
    doc = complaint.model_dump(mode="json")
    if complaint.privacy is Privacy.ANONYMOUS and not reveal_anonymous:
        for name in IDENTITY_FIELDS:
            doc.pop(name, None)
    if fields_needed is None:
        return doc
    wanted = list(fields_needed)
    bad = unknown_fields(wanted)
    if bad:
        raise ValueError(f"not complaint fields: {', '.join(bad)}")
    out: dict[str, Any] = {}
    for path in wanted:
        _pick(doc, path.split("."), out)
    return out
