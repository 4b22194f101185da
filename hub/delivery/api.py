"""HTTP: dead-letter administration, and the status webhook of each connector instance.

admin_router(dependencies=[...admin scope check...])  mounted under /v1/admin
    GET  /deliveries?state=dead&target=&complaint_id=&limit=&before=
    GET  /deliveries/{id}                  with every attempt
    POST /deliveries/{id}/replay
    POST /deliveries/replay                {"ids": [...]} or {"target": "..."} (all dead)
    POST /deliveries/{id}/discard          {"reason": "..."}
    GET  /delivery-targets                 breaker state per target
webhook_router()                           mounted under /v1
    POST /connectors/{instance_id}/webhook authenticated by the instance's resolver
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

import schemas
from connectors import WebhookRequest
from connectors.errors import ConfigError, ConnectorError
from hub.complaints.updates import ApplyResult, apply_status_update
from hub.delivery import relay, service
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import Runtime, get_runtime
from schemas.models import StatusUpdate

__all__ = ["admin_router", "webhook_router"]


def runtime_dep() -> Runtime:
    """Override in the app (`app.dependency_overrides[runtime_dep]`) or `runtime.configure()`."""
    return get_runtime()


RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]


def _session(rt: RuntimeDep) -> Iterator[Session]:
    with rt.factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


class ReplayRequest(BaseModel):
    ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    target: str | None = None


class DiscardRequest(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


def _fail(exc: Exception) -> HTTPException:
    return HTTPException(getattr(exc, "status_code", 422), detail=str(exc))


def _relay(ids: list[uuid.UUID]) -> None:
    if not relay.installed():  # with the session hook installed, the commit already did it
        relay.flush(ids)


def admin_router(dependencies: Sequence[Any] = ()) -> APIRouter:
    router = APIRouter(tags=["deliveries"], dependencies=list(dependencies))

    @router.get("/deliveries")
    def list_deliveries(
        session: SessionDep,
        state: str | None = "dead",
        target: str | None = None,
        complaint_id: uuid.UUID | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        before: datetime | None = None,
    ) -> dict[str, Any]:
        try:
            views = service.list_messages(
                session,
                state=state or None,
                target=target,
                complaint_id=complaint_id,
                limit=limit,
                before=before,
            )
        except ValueError as exc:
            raise _fail(exc) from exc
        items = [v.as_dict(with_attempts=False) for v in views]
        return {"items": items, "next_before": items[-1]["created_at"] if items else None}

    @router.get("/deliveries/{message_id}")
    def show_delivery(message_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
        try:
            return service.show(session, message_id).as_dict()
        except service.DeliveryNotFound as exc:
            raise _fail(exc) from exc

    @router.post("/deliveries/replay")
    def replay_many(body: ReplayRequest, session: SessionDep) -> dict[str, Any]:
        try:
            with session.begin():
                if body.ids:
                    ids = service.replay(session, body.ids)
                else:
                    ids = service.replay_dead(session, target=body.target)
        except (service.DeliveryNotFound, service.InvalidState) as exc:
            raise _fail(exc) from exc
        _relay(ids)
        return {"replayed": [str(i) for i in ids]}

    @router.post("/deliveries/{message_id}/replay")
    def replay_one(message_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
        try:
            with session.begin():
                ids = service.replay(session, [message_id])
        except (service.DeliveryNotFound, service.InvalidState) as exc:
            raise _fail(exc) from exc
        _relay(ids)
        return {"replayed": [str(i) for i in ids]}

    @router.post("/deliveries/{message_id}/discard")
    def discard_one(
        message_id: uuid.UUID, body: DiscardRequest, session: SessionDep
    ) -> dict[str, Any]:
        try:
            with session.begin():
                service.discard(session, message_id, body.reason)
        except (service.DeliveryNotFound, service.InvalidState, ValueError) as exc:
            raise _fail(exc) from exc
        return {"discarded": str(message_id)}

    @router.get("/delivery-targets")
    def list_targets(session: SessionDep) -> dict[str, Any]:
        return {"items": service.targets(session)}

    return router


def _apply_all(rt: Runtime, updates: list[StatusUpdate], source: str) -> list[ApplyResult]:
    """One transaction for the webhook's updates (blocking: runs in the threadpool)."""
    with rt.factory() as session, session.begin():
        return [apply_status_update(session, u, source=source) for u in updates]


def webhook_router() -> APIRouter:
    router = APIRouter(tags=["connectors"])

    @router.post("/connectors/{instance_id}/webhook")
    async def status_webhook(instance_id: str, request: Request, rt: RuntimeDep) -> dict[str, Any]:
        body = await request.body()
        hook = WebhookRequest(
            method=request.method,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            query=dict(request.query_params),
        )
        resolver = get_resolver()
        # Authenticate first: an unauthenticated caller learns nothing about instance ids.
        if not resolver.authenticate(instance_id, hook):
            raise HTTPException(
                401, detail="webhook not authenticated", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            connector = resolver.resolve(instance_id)
        except ConfigError as exc:
            raise HTTPException(404, detail=f"no connector instance {instance_id!r}") from exc
        if not connector.supports("parse_webhook"):
            raise HTTPException(404, detail=f"{instance_id!r} takes no status webhooks")
        try:
            updates = await connector.parse_webhook(hook)
        except (ConnectorError, ValueError) as exc:  # ValueError: pydantic, JSON decoding
            raise HTTPException(400, detail=f"webhook not understood: {exc}") from exc
        checked: list[StatusUpdate] = []
        problems: list[dict[str, Any]] = []
        for index, update in enumerate(updates):
            doc = update.model_dump(mode="json", exclude_none=True)
            found = schemas.problems(doc, "status-update")
            if found:
                problems += [{"index": index, "path": p.path, "message": p.message} for p in found]
                continue
            try:
                checked.append(StatusUpdate.model_validate(doc))
            except ValidationError as exc:
                problems.append({"index": index, "path": "$", "message": str(exc)})
        if problems:
            raise HTTPException(422, detail={"problems": problems})
        results = await run_in_threadpool(_apply_all, rt, checked, instance_id)
        _relay([i for r in results for i in r.notifications])
        return {"results": [r.as_dict() for r in results]}

    return router
