"""POST /v1/services/{service}/{operation}: the super-app calls an OPD service through the hub."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.simulators import BapendaApp
from hub.simulators.configs import bapenda_config
from tests.conftest import ADMIN

Login = Callable[[Principal | None], None]
SUPERAPP = Principal(
    subject="superapp", kind="client", client_id="superapp", scopes=frozenset({"services:call"})
)
URL = "/v1/services/bapenda-pkb/vehicle_tax"


@pytest.fixture
def bapenda(client: TestClient, login: Login, app: FastAPI) -> Iterator[BapendaApp]:
    app.state.settings.service_call_timeout = 0.5
    with BapendaApp() as sim:
        login(ADMIN)
        response = client.post(
            "/v1/connector-instances",
            json={
                "id": "bapenda-pkb",
                "connector": "rest_json",
                "institution": "bapenda-prov",
                "config": bapenda_config(sim),
                "enable": True,
            },
        )
        assert response.json()["enabled"] is True, response.text
        login(SUPERAPP)
        yield sim
        sim.heal()


def test_a_vehicle_tax_lookup_returns_the_normalised_answer(
    client: TestClient, bapenda: BapendaApp
) -> None:
    response = client.post(URL, json={"plate": "BE 1234 AB"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "plate": "BE 1234 AB",
        "vehicle": "HONDA VARIO 125",
        "tax_due": 350000,
        "penalty": 0,
        "total_due": 385000,
        "due_date": "2027-01-10",
        "payment_status": "unpaid",
    }


def test_input_that_breaks_the_operation_schema_is_a_422(
    client: TestClient, bapenda: BapendaApp
) -> None:
    response = client.post(URL, json={"plat": "BE 1234 AB"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_operation_is_a_404_naming_the_available_ones(
    client: TestClient, bapenda: BapendaApp
) -> None:
    response = client.post("/v1/services/bapenda-pkb/teleport", json={})
    assert response.status_code == 404
    assert "vehicle_tax" in response.json()["detail"]


def test_a_hanging_app_is_a_504_within_the_configured_timeout(
    client: TestClient, bapenda: BapendaApp
) -> None:
    bapenda.fail("timeout")
    started = time.monotonic()
    response = client.post(URL, json={"plate": "BE 1234 AB"})
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert elapsed < 3.0  # the configured 0.5 s plus overhead, never the app's hang


def test_an_app_that_is_down_is_a_503(client: TestClient, bapenda: BapendaApp) -> None:
    bapenda.fail("error", status=503)
    response = client.post(URL, json={"plate": "BE 1234 AB"})
    assert response.status_code == 503
    assert "retry-after" in response.headers


def test_an_app_that_is_gone_is_a_503(client: TestClient, bapenda: BapendaApp) -> None:
    bapenda.stop()
    response = client.post(URL, json={"plate": "BE 1234 AB"})
    assert response.status_code == 503


def test_an_answer_in_the_wrong_shape_is_a_502(client: TestClient, bapenda: BapendaApp) -> None:
    bapenda.fail("garbage")
    response = client.post(URL, json={"plate": "BE 1234 AB"})
    assert response.status_code == 502


def test_service_calls_need_the_services_scope(
    client: TestClient, bapenda: BapendaApp, login: Login
) -> None:
    login(None)
    assert client.post(URL, json={"plate": "BE 1234 AB"}).status_code == 401
