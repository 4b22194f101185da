"""Acting as the staff of the OPD that rubbish reports in Bandar Lampung are routed to."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from hub.access import Principal
from hub.db import transaction
from hub.delivery.models import OutboxMessage
from hub.notifications.service import create_subscription

DLH_KOTA = "dlh-kota-bandar-lampung"
HERE = (-5.39712, 105.26681)


def staff(opd: str = DLH_KOTA, *scopes: str) -> Principal:
    return Principal(
        subject=f"staff-{opd}",
        kind="asn",
        opd=opd,
        roles=frozenset({"opd_staff"}),
        scopes=frozenset(scopes or ("complaints:read", "complaints:update")),
    )


def citizen(subject: str) -> Principal:
    return Principal(
        subject=subject, kind="citizen", scopes=frozenset({"complaints:read", "complaints:write"})
    )


def north(metres: float) -> dict[str, Any]:
    """A location `metres` north of HERE (1 degree of latitude is about 111.2 km)."""
    return {
        "lat": HERE[0] + metres / 111_195.0,
        "lon": HERE[1],
        "region": "kota-bandar-lampung",
    }


def subscribe(app: FastAPI, *event_types: str) -> uuid.UUID:
    with transaction(app.state.sessionmaker) as session:
        sub, _secret = create_subscription(
            session,
            app.state.webhook_fernet,
            url="https://superapp.example.id/hooks",
            event_types=list(event_types),
        )
        return sub.id


def webhook_events(app: FastAPI, event_type: str) -> list[dict[str, Any]]:
    """Envelopes of the staged webhook messages of one type, oldest first."""
    with app.state.sessionmaker() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "webhook")
            .order_by(OutboxMessage.created_at)
        ).all()
        bodies = [json.loads(row.payload["body"]) for row in rows]
    return [b for b in bodies if b["type"] == event_type]
