"""Admin API for routing rules: the set in force, saving a new version, history, dry runs.

    GET  /v1/admin/routing/rules            the set in force (version, rules, who, when)
    PUT  /v1/admin/routing/rules            validate and put a new version in force
    GET  /v1/admin/routing/rules/versions   saved versions, newest first
    POST /v1/admin/routing/preview          what intake would decide for given facts

Every route needs hub:admin (router-wide dependency; each is listed in hub.access.ENDPOINTS).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from auth.config import ADMIN_SCOPE
from hub.access import Principal, require_scope
from hub.db import transaction
from hub.deps import SessionDep
from hub.problems import Conflict, Unprocessable
from hub.routing import admin
from hub.routing.rules import RuleSetError

__all__ = ["router"]

AdminDep = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]

router = APIRouter(prefix="/v1/admin/routing", tags=["routing"])


class RuleSetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Any] = Field(description="The whole rule set (see `hub routing export`).")
    comment: Annotated[str, Field(max_length=500)] | None = Field(
        None, description="Why the rules change (kept with the version)."
    )
    base_version: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="The version this edit started from; refused with 409 if another admin "
        "saved meanwhile (0: the shipped rules).",
    )


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(max_length=20000)] = ""
    category: str | None = Field(None, description="Omit to let the classifier suggest one.")
    region: str | None = Field(None, description="Kabupaten/kota code; inferred from the text.")
    refused_by: list[str] = Field(
        default_factory=list, description="Institutions that sent the report back."
    )
    rules: list[Any] | None = Field(
        None, description="A candidate rule set to try instead of the one in force."
    )


def _invalid(data: Any, exc: RuleSetError) -> Unprocessable:
    return Unprocessable(
        f"The rule set has {len(exc.problems)} problem(s); nothing was saved.",
        errors=admin.problem_pointers(data, exc.problems),
    )


@router.get("/rules", summary="The routing rule set in force")
def get_rules(session: SessionDep, _: AdminDep) -> dict[str, Any]:
    return admin.active(session).as_dict()


@router.put("/rules", summary="Put a new routing rule set in force (a new version)")
def put_rules(
    body: RuleSetIn, request: Request, response: Response, principal: AdminDep
) -> dict[str, Any]:
    data = {"rules": body.rules}
    actor = principal.subject or principal.client_id or "admin"
    try:
        with transaction(request.app.state.sessionmaker) as session:
            saved, created = admin.save(
                session, data, actor=actor, comment=body.comment, base_version=body.base_version
            )
    except RuleSetError as exc:
        raise _invalid(data, exc) from None
    except admin.StaleVersion as exc:
        raise Conflict(str(exc), current_version=exc.current) from None
    response.status_code = 201 if created else 200
    doc = saved.as_dict()
    doc["changed"] = created
    return doc


@router.get("/rules/versions", summary="Saved rule set versions, newest first")
def list_versions(
    session: SessionDep,
    _: AdminDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, description="Versions older than this")] = None,
    include_rules: bool = False,
) -> dict[str, Any]:
    rows = admin.history(session, limit=limit, before=before)
    current = admin.active(session).version
    items = []
    for row in rows:
        item = row.as_dict(with_rules=include_rules)
        item["active"] = row.version == current
        items.append(item)
    next_before = rows[-1].version if len(rows) == limit else None
    return {"items": items, "active_version": current, "next_before": next_before}


@router.post("/preview", summary="Dry run: the routing decision for given facts")
def preview(body: PreviewIn, request: Request, session: SessionDep, _: AdminDep) -> dict[str, Any]:
    if body.rules is not None:
        data = {"rules": body.rules}
        try:
            rules, version = admin.parse_candidate(data), None
        except RuleSetError as exc:
            raise _invalid(data, exc) from None
    else:
        in_force = admin.active(session)
        rules, version = in_force.rules, in_force.version
    if body.category is None and not body.text.strip():
        raise Unprocessable(
            "Give a category, or a text for the classifier to suggest one.",
            errors=[{"pointer": "/text", "detail": "empty while category is missing"}],
        )
    classifier = request.app.state.triage.classifier() if body.category is None else None
    try:
        assessment = admin.preview(
            rules,
            text=body.text,
            category=body.category,
            region=body.region,
            refused_by=body.refused_by,
            classifier=classifier,
        )
    except ValueError as exc:
        pointer = "/region" if "region" in str(exc) else "/category"
        raise Unprocessable(str(exc), errors=[{"pointer": pointer, "detail": str(exc)}]) from None
    return {
        "rules_version": version,
        "assessment": assessment.as_dict(),
        "rule": admin.rule_view(rules, assessment.routing.rule_id),
    }
