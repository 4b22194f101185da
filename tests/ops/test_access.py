"""Every endpoint states who may call it, and tokens are never trusted blindly."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import ENDPOINTS

DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_route_declares_its_access(app: FastAPI) -> None:
    spec = app.openapi()
    declared = {(m, p) for (m, p) in ENDPOINTS}
    routes = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if path not in DOCS
    }
    assert routes - declared == set(), "routes without an access rule in hub.access.ENDPOINTS"


def test_a_token_that_cannot_be_verified_is_refused_with_401(client: TestClient) -> None:
    response = client.get("/v1/complaints", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
