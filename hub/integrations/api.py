"""Unified API v1: connector types, connector instances, and synchronous service calls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from connectors.registry import default_registry
from hub.access import Principal, require
from hub.db import transaction
from hub.integrations import service
from hub.integrations.models import ConnectorInstance
from hub.problems import Forbidden, NotFound, Unprocessable

router = APIRouter(prefix="/v1", tags=["connectors"])
INSTANCE = "/connector-instances/{instance_id}"
FULL = "/v1" + INSTANCE  # the path as hub.access.ENDPOINTS declares it


class InstanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(description="Slug, e.g. dlh-rest", min_length=2, max_length=63)]
    connector: Annotated[str, Field(description="Connector type, see GET /v1/connectors")]
    institution: Annotated[str, Field(description="Owning OPD (institution code)")]
    config: dict[str, Any]
    categories: list[str] = []
    regions: list[str] = []
    rate_limit_per_minute: Annotated[int, Field(ge=1)] | None = None
    enable: Annotated[bool, Field(description="Check the app now and enable on success")] = False


class InstancePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] | None = None
    categories: list[str] | None = None
    regions: list[str] | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1)] | None = None


def _may_manage(principal: Principal, institution: str) -> None:
    """OPD developers manage their own OPD's instances; hub admins manage all."""
    if principal.is_admin or principal.opd == institution:
        return
    raise Forbidden(f"Only {institution!r} or a hub admin may manage this connector instance.")


def _load(request: Request, instance_id: str, principal: Principal) -> ConnectorInstance:
    with request.app.state.sessionmaker() as session:
        instance = service.get(session, instance_id)
    if not (principal.is_admin or principal.opd == instance.institution):
        raise NotFound(f"No connector instance {instance_id!r}.")  # as if it did not exist
    return instance


async def _check(request: Request, instance: ConnectorInstance, *, enable: bool) -> dict[str, Any]:
    connector = service.build(instance, request.app.state.vault)
    try:
        result = await service.run_check(
            connector, seconds=request.app.state.settings.check_timeout
        )
    finally:
        await connector.aclose()

    def save() -> ConnectorInstance:
        with transaction(request.app.state.sessionmaker) as session:
            row = service.get(session, instance.id)
            service.record_check(row, result, enable=enable)
            return row

    row = await run_in_threadpool(save)
    return await run_in_threadpool(_view, request, row)


def _view(request: Request, instance: ConnectorInstance) -> dict[str, Any]:
    with request.app.state.sessionmaker() as session:
        return service.view(instance, service.health(session, instance.id))


@router.get("/connectors", summary="Installed connector types (and broken plugins)")
def list_types(
    _: Principal = Depends(require("GET", "/v1/connectors")),
) -> dict[str, Any]:
    registry = default_registry()
    return {
        "connectors": [
            {
                "name": info.name,
                "version": info.version,
                "description": info.description,
                "distribution": info.distribution,
                "supports": list(info.supports),
                "config_schema": registry.get(info.name).config_schema,
            }
            for info in registry.describe()
        ],
        "broken": [
            {"name": b.name, "target": b.target, "error": b.error} for b in registry.broken()
        ],
    }


@router.post("/connector-instances", status_code=201, summary="Register a connector instance")
async def create_instance(
    body: InstanceIn,
    request: Request,
    principal: Principal = Depends(require("POST", "/v1/connector-instances")),
) -> dict[str, Any]:
    _may_manage(principal, body.institution)
    spec = service.InstanceSpec(
        id=body.id,
        connector=body.connector,
        institution=body.institution,
        config=body.config,
        categories=body.categories,
        regions=body.regions,
        rate_limit_per_minute=body.rate_limit_per_minute,
    )

    def create() -> ConnectorInstance:
        with transaction(request.app.state.sessionmaker) as session:
            return service.register(session, request.app.state.vault, spec, actor=principal.subject)

    instance = await run_in_threadpool(create)
    if body.enable:
        return await _check(request, instance, enable=True)
    return service.view(instance)


@router.get("/connector-instances", summary="Connector instances you may manage")
def list_instances(
    request: Request,
    principal: Principal = Depends(require("GET", "/v1/connector-instances")),
) -> list[dict[str, Any]]:
    institution = None if principal.is_admin else principal.opd
    if institution is None and not principal.is_admin:
        return []
    with request.app.state.sessionmaker() as session:
        rows = service.list_instances(session, institution=institution)
        return [service.view(row, service.health(session, row.id)) for row in rows]


@router.get(INSTANCE, summary="One connector instance (secrets masked)")
def read_instance(
    instance_id: str,
    request: Request,
    principal: Principal = Depends(require("GET", FULL)),
) -> dict[str, Any]:
    return _view(request, _load(request, instance_id, principal))


@router.patch(INSTANCE, summary="Change config or coverage; the instance must be checked again")
def update_instance(
    instance_id: str,
    body: InstancePatch,
    request: Request,
    principal: Principal = Depends(require("PATCH", FULL)),
) -> dict[str, Any]:
    _load(request, instance_id, principal)
    with transaction(request.app.state.sessionmaker) as session:
        instance = service.get(session, instance_id)
        if body.config is not None:
            service.update_config(session, request.app.state.vault, instance, body.config)
        probe = service.InstanceSpec(
            id=instance.id,
            connector=instance.connector,
            institution=instance.institution,
            config={},
            categories=body.categories or [],
            regions=body.regions or [],
        )
        service._check_references(session, probe)
        if body.categories is not None:
            instance.categories = body.categories
        if body.regions is not None:
            instance.regions = body.regions
        if body.rate_limit_per_minute is not None:
            service.set_rate_limit(session, instance.id, body.rate_limit_per_minute)
        session.flush()
        return service.view(instance, service.health(session, instance.id))


@router.post(INSTANCE + "/check", summary="Can the hub reach the app with this config?")
async def check_instance(
    instance_id: str,
    request: Request,
    principal: Principal = Depends(require("POST", FULL + "/check")),
) -> dict[str, Any]:
    instance = await run_in_threadpool(_load, request, instance_id, principal)
    return await _check(request, instance, enable=False)


@router.post(
    INSTANCE + "/enable",
    summary="Check, then enable on success; a suspended instance resumes and its parked "
    "messages are replayed",
)
async def enable_instance(
    instance_id: str,
    request: Request,
    principal: Principal = Depends(require("POST", FULL + "/enable")),
) -> dict[str, Any]:
    instance = await run_in_threadpool(_load, request, instance_id, principal)
    view = await _check(request, instance, enable=True)
    if not view["enabled"] or not view["last_check"]["ok"]:
        raise Unprocessable(
            f"The check failed, so the instance stays disabled: {view['last_check']['detail']}"
        )

    def resume() -> dict[str, Any]:
        with transaction(request.app.state.sessionmaker) as session:
            replayed = service.resume(session, instance_id, actor=principal.subject or "api")
            row = service.get(session, instance_id)
            session.flush()
            doc = service.view(row, service.health(session, instance_id))
        doc["replayed"] = replayed
        return doc

    return await run_in_threadpool(resume)


@router.post(INSTANCE + "/disable", summary="Stop using this instance")
def disable_instance(
    instance_id: str,
    request: Request,
    principal: Principal = Depends(require("POST", FULL + "/disable")),
) -> dict[str, Any]:
    _load(request, instance_id, principal)
    with transaction(request.app.state.sessionmaker) as session:
        instance = service.get(session, instance_id)
        instance.enabled = False
        session.flush()
        return service.view(instance, service.health(session, instance_id))


@router.post(
    "/services/{service_id}/{operation}",
    summary="Call an OPD service operation (e.g. a vehicle-tax lookup) through the hub",
)
async def call_service(
    service_id: str,
    operation: str,
    request: Request,
    payload: Annotated[dict[str, Any], Body()],
    _: Principal = Depends(require("POST", "/v1/services/{service_id}/{operation}")),
) -> dict[str, Any]:
    def load() -> ConnectorInstance:
        with request.app.state.sessionmaker() as session:
            return service.get(session, service_id)

    instance = await run_in_threadpool(load)
    if not instance.enabled:
        raise Unprocessable(f"The service {service_id!r} is not enabled.")
    connector = await request.app.state.connector_pool.get(instance)
    timeout = request.app.state.settings.service_call_timeout
    return await service.call_operation(connector, operation, payload, seconds=timeout)
