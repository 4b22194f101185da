"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.settings import Settings
from tests.api.helpers import submission


def test_healthz_says_the_process_is_alive(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_embedded_broker(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_with_the_real_redis_broker(
    settings: Settings, redis_url: str, make_app: Callable[[Settings], FastAPI]
) -> None:
    app = make_app(settings.model_copy(update={"broker_url": redis_url}))
    with TestClient(app) as client:
        assert client.get("/readyz").json()["checks"]["broker"] == "ok"


def test_readyz_is_a_503_problem_when_the_broker_is_unreachable(
    settings: Settings, make_app: Callable[[Settings], FastAPI]
) -> None:
    unreachable = settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    with TestClient(make_app(unreachable)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"].startswith("error")


def test_metrics_count_requests_by_route_template_without_ids(client: TestClient) -> None:
    created = client.post("/v1/complaints", json=submission()).json()
    client.get(f"/v1/complaints/{created['id']}")
    text = client.get("/metrics").text
    assert 'route="/v1/complaints/{complaint_id}"' in text
    assert created["id"] not in text
    assert 'hub_complaints_received_total{channel="superapp"}' in text


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/complaints" in spec["paths"]
    assert client.get("/docs").status_code == 200
