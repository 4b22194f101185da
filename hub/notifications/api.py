"""Unified API v1: webhook subscriptions (Standard Webhooks) and the event feed for pollers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.access import Principal, require
from hub.complaints import service as complaints
from hub.complaints import views
from hub.db import transaction
from hub.deps import SessionDep
from hub.notifications import service
from hub.notifications.models import Subscription
from hub.problems import NotFound, Unprocessable

router = APIRouter(prefix="/v1", tags=["notifications"])
ONE = "/subscriptions/{subscription_id}"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(max_length=2000, description="https (http only on loopback)")]
    event_types: Annotated[list[str], Field(min_length=1, description="e.g. complaint.created, *")]
    description: Annotated[str, Field(max_length=200)] | None = None


def _view(sub: Subscription, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(sub.id),
        "url": sub.url,
        "event_types": sub.event_types,
        "description": sub.description,
        "owner": sub.owner,
        "enabled": sub.enabled,
        "disabled_reason": sub.disabled_reason,
        "created_at": sub.created_at.isoformat() if sub.created_at else None,
    }
    if secret is not None:
        out["secret"] = secret  # shown once; verify `webhook-signature` with it
    return out


def _owner(principal: Principal) -> str | None:
    """Admins manage every subscription; a client manages its own."""
    return None if principal.is_admin else principal.client_id or principal.subject


def _own(request: Request, subscription_id: uuid.UUID, principal: Principal) -> None:
    with request.app.state.sessionmaker() as session:
        sub = session.get(Subscription, subscription_id)
    owner = _owner(principal)
    if sub is None or (owner is not None and sub.owner != owner):
        raise NotFound(f"No webhook subscription {subscription_id}.")


@router.post("/subscriptions", status_code=201, summary="Subscribe a webhook endpoint to events")
def create_subscription(
    body: SubscriptionIn,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1/subscriptions")),
) -> dict[str, Any]:
    try:
        with transaction(request.app.state.sessionmaker) as session:
            sub, secret = service.create_subscription(
                session,
                request.app.state.webhook_fernet,
                url=body.url,
                event_types=body.event_types,
                description=body.description,
                owner=principal.client_id or principal.subject,
            )
            return _view(sub, secret)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc


@router.get("/subscriptions", summary="Your webhook subscriptions")
def list_subscriptions(
    session: SessionDep,
    principal: Principal = Depends(require("GET", "/v1/subscriptions")),
) -> list[dict[str, Any]]:
    return [_view(s) for s in service.list_subscriptions(session, owner=_owner(principal))]


@router.post(ONE + "/rotate-secret", summary="New secret; the old one stays valid for 24 h")
def rotate_secret(
    subscription_id: uuid.UUID,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1" + ONE + "/rotate-secret")),
) -> dict[str, str]:
    _own(request, subscription_id, principal)
    with transaction(request.app.state.sessionmaker) as session:
        secret = service.rotate_secret(session, request.app.state.webhook_fernet, subscription_id)
    return {"secret": secret}


@router.post(ONE + "/disable", summary="Stop sending to this endpoint")
def disable(
    subscription_id: uuid.UUID,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1" + ONE + "/disable")),
) -> dict[str, Any]:
    _own(request, subscription_id, principal)
    with transaction(request.app.state.sessionmaker) as session:
        service.disable_subscription(session, subscription_id, f"disabled by {principal.subject}")
        sub = session.get(Subscription, subscription_id)
        assert sub is not None
        return _view(sub)


@router.get("/complaints/{complaint_id}/events", summary="A complaint's events, for pollers")
def complaint_events(
    complaint_id: uuid.UUID,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, description="The last seq you saw")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    principal: Principal = Depends(require("GET", "/v1/complaints/{complaint_id}/events")),
) -> dict[str, Any]:
    complaint = complaints.get(session, complaint_id)
    if complaint is None or not views.visible(principal, complaint):
        raise NotFound(f"No complaint {complaint_id}.")
    events = service.complaint_events(session, complaint_id, after=after, limit=limit)
    who = views.audience(principal, complaint)
    for event in events:
        if not views.staff(who):
            event["data"].pop("actor", None)  # staff SSO ids are for staff
        note = event["data"].get("note")
        if note and who == views.Audience.PUBLIC:
            event["data"]["note"] = views.public_text(note, complaint)
    last = events[-1]["data"]["seq"] if events else after
    return {"events": events, "next_after": last}
