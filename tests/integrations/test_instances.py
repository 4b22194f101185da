"""Registering connector instances: validation, encrypted secrets, checks before enabling."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.integrations.models import ConnectorInstance
from hub.simulators import DLHApp
from hub.simulators.configs import dlh_config
from tests.conftest import ADMIN, opd_developer

Login = Callable[[Principal | None], None]


@pytest.fixture
def dlh() -> Iterator[DLHApp]:
    with DLHApp() as app:
        yield app


def register(client: TestClient, dlh: DLHApp, **overrides: object) -> dict[str, object]:
    body = {
        "id": "dlh-rest",
        "connector": "rest_json",
        "institution": "dlh-prov",
        "config": dlh_config(dlh),
        "categories": ["sampah_lingkungan"],
        **overrides,
    }
    response = client.post("/v1/connector-instances", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_instance_is_registered_disabled_with_its_secrets_masked_and_sealed(
    client: TestClient, app: FastAPI, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    view = register(client, dlh)
    assert view["enabled"] is False
    assert view["config"]["auth"]["key"] == "********"
    assert dlh.api_key not in str(client.get("/v1/connector-instances/dlh-rest").json())
    with app.state.sessionmaker() as session:
        row = session.get(ConnectorInstance, "dlh-rest")
        assert row is not None
        assert dlh.api_key not in row.config_sealed
        assert dlh.webhook_secret not in str(row.config_redacted)


def test_enabling_runs_the_check_against_the_real_app(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    register(client, dlh)
    response = client.post("/v1/connector-instances/dlh-rest/enable")
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is True
    assert response.json()["last_check"]["ok"] is True


def test_an_instance_whose_app_cannot_be_reached_stays_disabled(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    register(client, dlh, config=dlh_config(dlh) | {"base_url": "http://127.0.0.1:9"})
    response = client.post("/v1/connector-instances/dlh-rest/enable")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/connector-instances/dlh-rest").json()["enabled"] is False


def test_wrong_credentials_fail_the_check(client: TestClient, login: Login, dlh: DLHApp) -> None:
    login(ADMIN)
    config = dlh_config(dlh)
    config["auth"]["key"] = "wrong-key"
    view = register(client, dlh, config=config, enable=True)
    assert view["enabled"] is False
    assert view["last_check"]["ok"] is False


def test_an_unknown_connector_type_suggests_the_right_name(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    response = client.post(
        "/v1/connector-instances",
        json={"id": "x1", "connector": "rest_jsno", "institution": "dlh-prov", "config": {}},
    )
    assert response.status_code == 422
    assert "did you mean 'rest_json'" in response.json()["detail"]


def test_a_config_that_breaks_the_schema_is_refused_by_path(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    config = dlh_config(dlh)
    config["timeout"] = -1
    response = client.post(
        "/v1/connector-instances",
        json={
            "id": "dlh-rest",
            "connector": "rest_json",
            "institution": "dlh-prov",
            "config": config,
        },
    )
    assert response.status_code == 422
    assert "$.timeout" in response.json()["detail"]
    assert dlh.api_key not in response.text


def test_unknown_institution_category_and_a_bad_slug_are_named(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    response = client.post(
        "/v1/connector-instances",
        json={
            "id": "Bad Slug",
            "connector": "rest_json",
            "institution": "nowhere",
            "config": dlh_config(dlh),
            "categories": ["nope"],
        },
    )
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {
        "/id",
        "/institution",
        "/categories/0",
    }


def test_registering_twice_is_a_conflict(client: TestClient, login: Login, dlh: DLHApp) -> None:
    login(ADMIN)
    register(client, dlh)
    body = {
        "id": "dlh-rest",
        "connector": "rest_json",
        "institution": "dlh-prov",
        "config": dlh_config(dlh),
    }
    assert client.post("/v1/connector-instances", json=body).status_code == 409


def test_an_opd_manages_only_its_own_instances(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(opd_developer("dlh-prov"))
    register(client, dlh)
    login(opd_developer("bmbk-prov"))
    assert client.get("/v1/connector-instances/dlh-rest").status_code == 404
    assert client.get("/v1/connector-instances").json() == []
    assert client.post("/v1/connector-instances/dlh-rest/disable").status_code == 404
    other = client.post(
        "/v1/connector-instances",
        json={
            "id": "dlh-2",
            "connector": "rest_json",
            "institution": "dlh-prov",
            "config": dlh_config(dlh),
        },
    )
    assert other.status_code == 403


def test_registration_needs_a_token_with_the_right_scope(
    client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(None)
    assert client.get("/v1/connector-instances").status_code == 401
    login(opd_developer("dlh-prov", "connectors:read"))
    response = client.post(
        "/v1/connector-instances",
        json={
            "id": "dlh-rest",
            "connector": "rest_json",
            "institution": "dlh-prov",
            "config": dlh_config(dlh),
        },
    )
    assert response.status_code == 403
    assert "insufficient_scope" in response.headers["www-authenticate"]


def test_a_masked_secret_sent_back_keeps_its_stored_value(
    client: TestClient, app: FastAPI, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    shown = register(client, dlh)["config"]
    assert isinstance(shown, dict)
    shown["timeout"] = 5
    response = client.patch("/v1/connector-instances/dlh-rest", json={"config": shown})
    assert response.status_code == 200
    assert response.json()["config"]["timeout"] == 5
    enabled = client.post("/v1/connector-instances/dlh-rest/enable")
    assert enabled.json()["enabled"] is True  # the real key is still there


def test_disabling_an_instance(client: TestClient, login: Login, dlh: DLHApp) -> None:
    login(ADMIN)
    register(client, dlh, enable=True)
    assert client.get("/v1/connector-instances/dlh-rest").json()["enabled"] is True
    assert client.post("/v1/connector-instances/dlh-rest/disable").json()["enabled"] is False
    assert client.get("/v1/connector-instances/dlh-rest").json()["enabled"] is False


def test_connector_types_are_listed_with_their_config_schema(
    client: TestClient, login: Login
) -> None:
    login(ADMIN)
    body = client.get("/v1/connectors").json()
    names = {c["name"] for c in body["connectors"]}
    assert {"rest_json", "soap_xml"} <= names
    rest = next(c for c in body["connectors"] if c["name"] == "rest_json")
    assert rest["config_schema"]["type"] == "object"
