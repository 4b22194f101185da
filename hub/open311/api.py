"""Open311 GeoReport v2 endpoints at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

Every resource answers in `.json` and `.xml`. Errors are the spec's list of {code, description}
in the requested format (404 unknown service, request or jurisdiction; 403 bad api_key; 400 the
rest), not problem+json: existing Open311 clients parse these. Only public data is served.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.responses import Response

from hub.access import Principal, require
from hub.complaints import service as complaints
from hub.complaints.intake import file_complaint
from hub.db import transaction, utcnow
from hub.deps import SessionDep, SettingsDep
from hub.open311 import keys, mapping, service
from hub.open311.formats import (
    FORMATS,
    WIB,
    BadApiKey,
    BadRequest,
    Invalid,
    NotFound,
    Open311Error,
    error_response,
    render,
    stamp,
)
from hub.problems import Problem

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 29, tzinfo=WIB)  # when these services last changed shape
DEFAULT_WINDOW = timedelta(days=90)


def _format_of(path: str) -> str:
    return path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "json"


class Open311Route(APIRoute):
    """Turns every error raised under /open311/v2 into the spec's error list."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt = _format_of(request.url.path)
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(fmt, [exc])
            except Invalid as exc:
                return error_response(fmt, exc.errors)
            except RequestValidationError as exc:
                described = [BadRequest(str(e.get("msg", "invalid"))) for e in exc.errors()]
                return error_response(fmt, described or [BadRequest("Invalid request.")])
            except Problem as exc:
                status = exc.status if exc.status in (403, 404) else 400
                status = 403 if exc.status == 401 else status
                return error_response(fmt, [Open311Error(status, exc.detail)])

        return route


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


def _check(fmt: str, request: Request, form: FormData | None = None) -> None:
    if fmt not in FORMATS:
        raise BadRequest(f"Unsupported format {fmt!r}: use .json or .xml.")
    jurisdiction = form.get("jurisdiction_id") if form is not None else None
    jurisdiction = jurisdiction or request.query_params.get("jurisdiction_id")
    if jurisdiction and jurisdiction != mapping.JURISDICTION:
        raise NotFound(f"Unknown jurisdiction_id {jurisdiction!r}; this is {mapping.JURISDICTION}.")


@router.get("/discovery.{fmt}", summary="Open311 discovery: where and what this endpoint is")
def discovery(
    fmt: str,
    request: Request,
    settings: SettingsDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/discovery.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    changeset = stamp(CHANGESET)
    body = {
        "changeset": changeset,
        "contact": "Dinas Komunikasi, Informatika dan Statistik Provinsi Lampung",
        "key_service": "Minta api_key ke admin Lampung-In Hub (ask the hub admins for an api_key)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": settings.public_url.rstrip("/") + PREFIX,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", body)


@router.get("/services.{fmt}", summary="Service list: our complaint categories")
def list_services(
    fmt: str,
    request: Request,
    session: SessionDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/services.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    names = service.catalog(session)
    return render(fmt, "services", [mapping.service(code, names) for code in names.categories])


@router.get("/services/{service_code}.{fmt}", summary="Service definition (its attributes)")
def service_definition(
    service_code: str,
    fmt: str,
    request: Request,
    session: SessionDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/services/{{service_code}}.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    names = service.catalog(session)
    if service_code not in names.categories:
        raise NotFound(f"Unknown service_code {service_code!r}.")
    return render(fmt, "service_definition", mapping.service_definition(service_code, names))


def _when(value: str | None, name: str) -> datetime | None:
    """A W3C datetime; one without an offset is read as WIB (+07:00)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C datetime like 2026-01-31T00:00:00+07:00.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@router.get("/requests.{fmt}", summary="Search service requests (public reports)")
def list_requests(
    fmt: str,
    request: Request,
    session: SessionDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/requests.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    params = request.query_params
    ids = _list(params.get("service_request_id"))
    if len(ids) > service.MAX_REQUESTS:
        raise BadRequest(f"At most {service.MAX_REQUESTS} service_request_id values at once.")
    if ids:
        query = service.Query(ids=ids)
    else:
        statuses = _list(params.get("status"))
        wrong = [s for s in statuses if s not in ("open", "closed")]
        if wrong:
            raise BadRequest(f"status must be open or closed, not {', '.join(wrong)}.")
        start = _when(params.get("start_date"), "start_date")
        end = _when(params.get("end_date"), "end_date")
        if start is None and end is None:
            end = utcnow()
        if start is None:
            assert end is not None
            start = end - DEFAULT_WINDOW
        elif end is None:
            end = min(start + DEFAULT_WINDOW, utcnow())
        if end < start:
            raise BadRequest("end_date is before start_date.")
        if end - start > DEFAULT_WINDOW:
            raise BadRequest("start_date and end_date may not span more than 90 days.")
        query = service.Query(
            service_codes=_list(params.get("service_code")) or None,
            start=start,
            end=end,
            statuses=statuses or None,
        )
    found = service.find(session, query)
    return render(fmt, "service_requests", service.requests_view(session, found))


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
def read_request(
    service_request_id: str,
    fmt: str,
    request: Request,
    session: SessionDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/requests/{{service_request_id}}.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    found = service.find(session, service.Query(ids=[service_request_id]), limit=1)
    if not found:
        raise NotFound(f"No service request {service_request_id!r}.")
    return render(fmt, "service_requests", service.requests_view(session, found))


@router.get("/tokens/{token}.{fmt}", summary="The service_request_id behind a token")
def read_token(
    token: str,
    fmt: str,
    request: Request,
    session: SessionDep,
    _: Principal = Depends(require("GET", f"{PREFIX}/tokens/{{token}}.{{fmt}}")),
) -> Response:
    _check(fmt, request)
    try:
        complaint = complaints.get(session, uuid.UUID(token))
    except ValueError:
        complaint = None
    if complaint is None:
        raise NotFound(f"No service request for token {token!r}.")
    body = [{"service_request_id": complaint.tracking_code, "token": token}]
    return render(fmt, "service_requests", body)


@router.post("/requests.{fmt}", summary="File a service request (form-encoded, needs api_key)")
async def create_request(
    fmt: str,
    request: Request,
    _: Principal = Depends(require("POST", f"{PREFIX}/requests.{{fmt}}")),
) -> Response:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        _check(fmt, request)
        raise BadRequest("POST bodies are application/x-www-form-urlencoded.")
    form = await request.form()
    _check(fmt, request, form)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    factory = request.app.state.sessionmaker
    with transaction(factory) as session:
        key = keys.verify(session, fields.get("api_key"))
        if key is None:
            raise BadApiKey()
        channel, key_id = key.channel, key.id
        names = service.catalog(session)
    code = fields.get("service_code")
    if not code:
        raise BadRequest("service_code is required.")
    if code not in names.categories:
        raise NotFound(f"Unknown service_code {code!r}.")
    submission = mapping.submission(fields, channel=channel, catalog=names)
    intake = file_complaint(
        request,
        submission,
        reporter=None,
        idempotency_key=None,
        idempotency_scope=f"open311:{key_id}",
    )
    body = [
        {
            "service_request_id": intake.complaint.tracking_code,
            "token": str(intake.complaint.id),
            "service_notice": mapping.service_notice(intake.complaint),
            "account_id": None,
        }
    ]
    return render(fmt, "service_requests", body)
