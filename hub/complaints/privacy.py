"""The log of who was shown a reporter's personal data (UU 27/2022, DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.access import Principal
from hub.complaints.models import Complaint, PersonalDataAccess


def personal_fields(view: dict[str, Any]) -> list[str]:
    """Which personal data a rendered complaint view carries."""
    found = [f"contact.{k}" for k, v in (view.get("contact") or {}).items() if v]
    if view.get("reporter"):
        found.append("reporter")
    return found


def record_views(
    session: Session,
    principal: Principal,
    shown: Iterable[tuple[Complaint, dict[str, Any]]],
    *,
    via: str,
) -> int:
    """Log each view that showed personal data to someone other than the reporter."""
    count = 0
    for complaint, view in shown:
        fields = personal_fields(view)
        if not fields or (principal.subject and principal.subject == complaint.reporter):
            continue
        session.add(
            PersonalDataAccess(
                complaint_id=complaint.id,
                viewer=principal.subject,
                viewer_kind=principal.kind,
                client_id=principal.client_id,
                opd=principal.opd,
                fields=fields,
                via=via,
            )
        )
        count += 1
    return count


def access_log(session: Session, complaint: Complaint) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(PersonalDataAccess)
        .where(PersonalDataAccess.complaint_id == complaint.id)
        .order_by(PersonalDataAccess.id)
    )
    return [
        {
            "at": row.at.isoformat(),
            "viewer": row.viewer,
            "viewer_kind": row.viewer_kind,
            "client_id": row.client_id,
            "opd": row.opd,
            "fields": row.fields,
            "via": row.via,
        }
        for row in rows
    ]
