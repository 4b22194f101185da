"""Who saw a reporter's personal data is logged, and the reporter can read that log."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.complaints.models import Complaint
from hub.db import transaction
from tests.api.helpers import submission
from tests.conftest import ADMIN

Login = Callable[[Principal | None], None]
CITIZEN = Principal(
    subject="citizen-7", kind="citizen", scopes=frozenset({"complaints:read", "complaints:write"})
)
DLH_STAFF = Principal(
    subject="asn-dlh-1", kind="asn", opd="dlh-prov", scopes=frozenset({"complaints:read"})
)


def routed_to_dlh(app: FastAPI, client: TestClient, login: Login) -> str:
    login(CITIZEN)
    complaint_id = str(client.post("/v1/complaints", json=submission()).json()["id"])
    with transaction(app.state.sessionmaker) as session:
        row = session.get(Complaint, uuid.UUID(complaint_id))
        assert row is not None
        row.institution = "dlh-prov"
    return complaint_id


def test_an_opd_reading_the_contact_is_logged_and_the_reporter_sees_it(
    app: FastAPI, client: TestClient, login: Login
) -> None:
    complaint_id = routed_to_dlh(app, client, login)
    login(DLH_STAFF)
    assert client.get(f"/v1/complaints/{complaint_id}").json()["contact"]["name"] == "Siti Aminah"
    login(CITIZEN)
    client.get(f"/v1/complaints/{complaint_id}")  # the reporter reading their own: not logged
    log = client.get(f"/v1/complaints/{complaint_id}/personal-data-access").json()
    assert [(e["viewer"], e["opd"], e["via"]) for e in log] == [
        ("asn-dlh-1", "dlh-prov", "GET /v1/complaints/{complaint_id}")
    ]
    assert set(log[0]["fields"]) == {"contact.name", "contact.phone", "contact.email", "reporter"}


def test_listing_with_contacts_is_logged_too(
    app: FastAPI, client: TestClient, login: Login
) -> None:
    complaint_id = routed_to_dlh(app, client, login)
    login(DLH_STAFF)
    client.get("/v1/complaints", params={"institution": "dlh-prov"})
    login(ADMIN)
    log = client.get(f"/v1/complaints/{complaint_id}/personal-data-access").json()
    assert [e["via"] for e in log] == ["GET /v1/complaints"]


def test_public_readers_are_not_logged_and_cannot_read_the_log(
    app: FastAPI, client: TestClient, login: Login
) -> None:
    complaint_id = routed_to_dlh(app, client, login)
    login(None)
    client.get(f"/v1/complaints/{complaint_id}")
    assert client.get(f"/v1/complaints/{complaint_id}/personal-data-access").status_code == 401
    login(DLH_STAFF)
    assert client.get(f"/v1/complaints/{complaint_id}/personal-data-access").status_code == 404
    login(ADMIN)
    assert client.get(f"/v1/complaints/{complaint_id}/personal-data-access").json() == []
