"""Access control with real SSO tokens: scopes, tenant isolation, 401 versus 403."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from auth.bootstrap import ensure_client
from auth.client_schemas import ClientCreate
from hub.access import API_SCOPES, ENDPOINTS
from hub.complaints.models import Complaint
from hub.db import transaction
from tests.api.helpers import submission

TokenFor = Callable[..., str]


@pytest.fixture
def token_for(app: FastAPI, client: TestClient) -> TokenFor:
    """A client-credentials token for a new machine client of `opd` with `scopes`."""

    def issue(opd: str | None, *scopes: str) -> str:
        client_id = f"test-{uuid.uuid4().hex[:8]}"
        spec = ClientCreate(
            client_id=client_id,
            name=client_id,
            kind="confidential",
            grant_types=["client_credentials"],
            default_scopes=list(scopes),
            opd=opd,
        )
        with transaction(app.state.sessionmaker) as session:
            _, secret = ensure_client(session, app.state.sso.config, spec)
        assert secret is not None
        response = client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
            auth=(client_id, secret),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return issue


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_declared_scope_is_one_the_sso_issues() -> None:
    declared = {rule.scope for rule in ENDPOINTS.values() if rule.scope}
    assert declared <= set(API_SCOPES)


def test_a_token_without_the_scope_is_a_403_and_none_is_a_401(
    client: TestClient, token_for: TokenFor
) -> None:
    assert client.get("/v1/connector-instances").status_code == 401
    weak = token_for("dlh-prov", "complaints:read")
    response = client.get("/v1/connector-instances", headers=bearer(weak))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    strong = token_for("dlh-prov", "connectors:read")
    assert client.get("/v1/connector-instances", headers=bearer(strong)).status_code == 200


def test_a_tampered_token_is_a_401_with_a_bearer_challenge(
    client: TestClient, token_for: TokenFor
) -> None:
    token = token_for("dlh-prov", "connectors:read")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.get("/v1/connector-instances", headers=bearer(tampered))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_one_opds_token_cannot_read_another_opds_report(
    app: FastAPI, client: TestClient, token_for: TokenFor
) -> None:
    created = client.post(
        "/v1/complaints", json=submission(privacy="confidential", title="Limbah pabrik tahu")
    ).json()
    with transaction(app.state.sessionmaker) as session:
        row = session.get(Complaint, uuid.UUID(created["id"]))
        assert row is not None
        row.institution = "dlh-prov"
    own = token_for("dlh-prov", "complaints:read")
    other = token_for("bmbk-prov", "complaints:read")
    url = f"/v1/complaints/{created['id']}"
    mine = client.get(url, headers=bearer(own))
    assert mine.status_code == 200 and mine.json()["title"] == "Limbah pabrik tahu"
    assert client.get(url, headers=bearer(other)).status_code == 404
    listed = client.get("/v1/complaints", headers=bearer(other)).json()["items"]
    assert created["id"] not in {c["id"] for c in listed}


def test_an_opd_sees_its_reports_without_an_anonymous_reporters_identity(
    app: FastAPI, client: TestClient, token_for: TokenFor
) -> None:
    created = client.post("/v1/complaints", json=submission(privacy="anonymous")).json()
    with transaction(app.state.sessionmaker) as session:
        row = session.get(Complaint, uuid.UUID(created["id"]))
        assert row is not None
        row.institution = "dlh-prov"
    body = client.get(
        f"/v1/complaints/{created['id']}", headers=bearer(token_for("dlh-prov", "complaints:read"))
    ).json()
    assert body["location"]["address"] == "Jl. Teuku Umar No. 12"  # the case, in full
    assert "contact" not in body and "reporter" not in body  # but not who reported it
