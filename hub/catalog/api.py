"""Unified API v1: the catalog of categories and institutions (public)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.access import Principal, require
from hub.catalog import service
from hub.deps import SessionDep

router = APIRouter(prefix="/v1", tags=["catalog"])


@router.get("/categories", summary="Complaint categories")
def list_categories(
    session: SessionDep,
    _: Principal = Depends(require("GET", "/v1/categories")),
) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": {"id": c.name_id, "en": c.name_en},
            "default_level": c.default_level,
            "keywords": c.keywords,
        }
        for c in service.categories(session)
    ]


@router.get("/institutions", summary="Institutions complaints are routed or redirected to")
def list_institutions(
    session: SessionDep,
    level: Annotated[str | None, Query(description="provinsi, kabupaten_kota, ...")] = None,
    _: Principal = Depends(require("GET", "/v1/institutions")),
) -> list[dict[str, Any]]:
    return [
        {"code": i.code, "name": i.name, "level": i.level, "kind": i.kind}
        for i in service.institutions(session, level=level)
    ]
