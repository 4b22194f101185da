"""Client administration over HTTP (`hub:admin` scope), every action in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from auth import clients, keys
from auth.audit import Actor, recent, record
from auth.client_schemas import (
    ClientCreate,
    ClientPublic,
    ClientUpdate,
    ClientWithSecret,
    RotateSecret,
)
from auth.config import ADMIN_SCOPE, AuthConfig
from auth.crypto import Cipher
from auth.guard import Guard, Principal, forbidden
from auth.problems import AuthProblem

T = TypeVar("T")


def build_admin_router(
    config: AuthConfig, factory: sessionmaker[Session], guard: Guard, cipher: Cipher
) -> APIRouter:
    router = APIRouter(tags=["sso-admin"])
    admin_dep = guard.require(ADMIN_SCOPE)

    async def admin(request: Request, principal: Principal | None = Depends(admin_dep)) -> Actor:
        assert principal is not None
        if principal.kind == "user" and not principal.has_role("hub_admin"):
            raise forbidden(ADMIN_SCOPE)
        ip = request.client.host if request.client else None
        return Actor(f"{principal.kind}:{principal.subject}", ip)

    async def run(fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with factory() as session, session.begin():
                try:
                    return fn(session)
                except clients.ClientNotFound as exc:
                    raise AuthProblem(
                        404, "not-found", "Tidak ditemukan / Not found", str(exc)
                    ) from exc
                except clients.ClientError as exc:
                    raise AuthProblem(
                        422, "invalid-client", "Klien tidak sah / Invalid client", str(exc)
                    ) from exc

        return await run_in_threadpool(work)

    scopes = config.scopes_supported

    @router.get("/clients", response_model=list[ClientPublic])
    async def list_clients(opd: str | None = None, actor: Actor = Depends(admin)) -> Any:
        return await run(
            lambda s: [clients.to_public(c, config.clock()) for c in clients.list_clients(s, opd)]
        )

    @router.post("/clients", response_model=ClientWithSecret, status_code=201)
    async def create_client(spec: ClientCreate, actor: Actor = Depends(admin)) -> Any:
        def create(s: Session) -> ClientWithSecret:
            now = config.clock()
            client, secret = clients.create(s, spec, actor=actor, now=now, scopes_supported=scopes)
            return ClientWithSecret(client=clients.to_public(client, now), client_secret=secret)

        return await run(create)

    @router.get("/clients/{client_id}", response_model=ClientPublic)
    async def show_client(client_id: str, actor: Actor = Depends(admin)) -> Any:
        return await run(lambda s: clients.to_public(clients.get(s, client_id), config.clock()))

    @router.patch("/clients/{client_id}", response_model=ClientPublic)
    async def update_client(
        client_id: str, changes: ClientUpdate, actor: Actor = Depends(admin)
    ) -> Any:
        def change(s: Session) -> ClientPublic:
            now = config.clock()
            client = clients.update(
                s, client_id, changes, actor=actor, now=now, scopes_supported=scopes
            )
            return clients.to_public(client, now)

        return await run(change)

    @router.post("/clients/{client_id}/rotate-secret", response_model=ClientWithSecret)
    async def rotate_secret(
        client_id: str, body: RotateSecret | None = None, actor: Actor = Depends(admin)
    ) -> Any:
        grace = body.grace_seconds if body and body.grace_seconds is not None else None

        def rotate(s: Session) -> ClientWithSecret:
            now = config.clock()
            secret = clients.rotate_secret(
                s,
                client_id,
                grace_seconds=config.secret_grace if grace is None else grace,
                actor=actor,
                now=now,
            )
            return ClientWithSecret(
                client=clients.to_public(clients.get(s, client_id), now), client_secret=secret
            )

        return await run(rotate)

    @router.post("/clients/{client_id}/disable", response_model=ClientPublic)
    async def disable_client(client_id: str, actor: Actor = Depends(admin)) -> Any:
        return await run(
            lambda s: clients.to_public(
                clients.set_disabled(s, client_id, True, actor=actor, now=config.clock()),
                config.clock(),
            )
        )

    @router.post("/clients/{client_id}/enable", response_model=ClientPublic)
    async def enable_client(client_id: str, actor: Actor = Depends(admin)) -> Any:
        return await run(
            lambda s: clients.to_public(
                clients.set_disabled(s, client_id, False, actor=actor, now=config.clock()),
                config.clock(),
            )
        )

    @router.delete("/clients/{client_id}", status_code=204)
    async def delete_client(client_id: str, actor: Actor = Depends(admin)) -> Response:
        await run(lambda s: clients.delete(s, client_id, actor=actor, now=config.clock()))
        return Response(status_code=204)

    @router.post("/keys/rotate")
    async def rotate_keys(actor: Actor = Depends(admin)) -> dict[str, str]:
        def rotate(s: Session) -> dict[str, str]:
            now = config.clock()
            key = keys.rotate(s, cipher, now, config.key_overlap)
            record(s, actor, "keys.rotated", key.kid, now, overlap_seconds=config.key_overlap)
            return {"kid": key.kid}

        return await run(rotate)

    @router.get("/audit")
    async def audit_log(
        limit: int = 100, action: str | None = None, actor: Actor = Depends(admin)
    ) -> list[dict[str, Any]]:
        def load(s: Session) -> list[dict[str, Any]]:
            return [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "ip": e.ip,
                    "details": e.details,
                }
                for e in recent(s, min(max(limit, 1), 1000), action)
            ]

        return await run(load)

    return router
