"""Building reports (with personal data in them) and moving them through the lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.complaints import service
from hub.db import transaction
from schemas.models import Status


def report(client: TestClient, **overrides: Any) -> dict[str, Any]:
    """File through the API; the default (rubbish in Bandar Lampung) is routed to the city's DLH
    at intake, so it starts out triaged."""
    body: dict[str, Any] = {
        "channel": "superapp",
        "title": "Sampah menumpuk di pinggir jalan",
        "description": "Sampah menumpuk seminggu di pinggir jalan, bau sekali.",
        "category": "sampah_lingkungan",
        "privacy": "public",
        "location": {"lat": -5.39712, "lon": 105.26681, "region": "kota-bandar-lampung"},
    }
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not None}  # None: leave the field out
    response = client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def move(
    app: FastAPI,
    complaint_id: str,
    *steps: tuple[Status, datetime | None],
    institution: str | None = None,
    note: str | None = None,
) -> None:
    """Apply each (status, occurred_at) in order; the note goes with the last step."""
    with transaction(app.state.sessionmaker) as session:
        complaint = service.get(session, uuid.UUID(complaint_id))
        assert complaint is not None
        for index, (status, when) in enumerate(steps):
            last = index == len(steps) - 1
            service.set_status(
                session,
                complaint,
                status,
                occurred_at=when,
                institution=institution if index == 0 else None,
                note=note if last else None,
            )
