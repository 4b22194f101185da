"""Liveness, readiness (database and broker reachable) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from kombu import Connection
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from hub.access import Principal, require
from hub.ops.delivery_metrics import delivery_registry
from hub.ops.metrics import REGISTRY

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
def healthz(_: Principal = Depends(require("GET", "/healthz"))) -> dict[str, str]:
    return {"status": "ok"}


def _check_database(request: Request) -> str | None:
    try:
        with request.app.state.sessionmaker() as session:
            session.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure means not ready; report its class only
        return type(exc).__name__


def _check_broker(url: str) -> str | None:
    try:
        if url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
        else:
            with Connection(url, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        return None
    except Exception as exc:
        return type(exc).__name__


@router.get("/readyz", summary="Database and broker are reachable")
async def readyz(
    request: Request, _: Principal = Depends(require("GET", "/readyz"))
) -> JSONResponse:
    settings = request.app.state.settings
    db_error = await run_in_threadpool(_check_database, request)
    broker_error = await run_in_threadpool(_check_broker, settings.effective_broker_url)
    checks: dict[str, Any] = {
        "database": "ok" if db_error is None else f"error: {db_error}",
        "broker": "ok" if broker_error is None else f"error: {broker_error}",
    }
    ready = db_error is None and broker_error is None
    if ready:
        return JSONResponse({"status": "ready", "checks": checks})
    return JSONResponse(
        {
            "type": "https://hub.lampungprov.go.id/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": "A dependency is unreachable.",
            "checks": checks,
        },
        status_code=503,
        media_type="application/problem+json",
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request, _: Principal = Depends(require("GET", "/metrics"))) -> Response:
    """This process's counters, plus outbox gauges read from the database (worker processes
    keep no counters of their own that a scrape could reach)."""
    body = generate_latest(REGISTRY)
    body += generate_latest(delivery_registry(request.app.state.sessionmaker))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
