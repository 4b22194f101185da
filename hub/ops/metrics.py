"""Prometheus metrics: request rate, latency and errors per route, plus domain counters."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "hub_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "hub_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
)
COMPLAINTS = Counter(
    "hub_complaints_received_total", "Complaints accepted", ["channel"], registry=REGISTRY
)

OUTBOX_ENQUEUED = Counter(
    "hub_outbox_enqueued_total",
    "Outbox messages this process put on the broker (failed: left to the beat sweep)",
    ["result"],
    registry=REGISTRY,
)
CONNECTOR_RESUMES = Counter(
    "hub_connector_resumes_total",
    "Suspended connector instances re-enabled by an admin",
    registry=REGISTRY,
)
PARKED_REPLAYED = Counter(
    "hub_parked_messages_replayed_total",
    "Parked messages replayed when their connector instance was re-enabled",
    registry=REGISTRY,
)


def _route(request: Request) -> str:
    """The route template, so metrics have bounded cardinality (no ids in labels)."""
    route = request.scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched")


async def middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    start = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        route = _route(request)
        REQUESTS.labels(request.method, route, str(status)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - start)
