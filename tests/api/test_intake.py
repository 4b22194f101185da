"""POST /v1/complaints: validation, tracking codes, the intake transaction, Idempotency-Key."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.complaints.models import Complaint, ComplaintEvent
from hub.db import transaction
from hub.delivery.models import MessageKind, OutboxMessage
from hub.integrations import service as integrations
from hub.simulators import DLHApp
from hub.simulators.configs import dlh_config
from tests.api.helpers import submission

PROBLEM = "application/problem+json"


def count(app: FastAPI, model: type) -> int:
    with app.state.sessionmaker() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_a_valid_complaint_is_accepted_with_a_tracking_code(client: TestClient) -> None:
    response = client.post("/v1/complaints", json=submission())
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"LPG-\d{4}-\d{6}", body["tracking_code"])
    # triaged and routed in the same transaction: rubbish in the city goes to its DLH
    assert body["status"] == "triaged"
    assert body["status_label"] == {"id": "Diverifikasi", "en": "Triaged"}
    assert body["institution"] == "dlh-kota-bandar-lampung"
    assert response.headers["location"] == f"/v1/complaints/{body['id']}"
    assert body["contact"]["name"] == "Siti Aminah"  # the sender sees what it sent


def test_tracking_codes_count_up(client: TestClient) -> None:
    codes = [
        client.post("/v1/complaints", json=submission()).json()["tracking_code"] for _ in "abc"
    ]
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


@pytest.fixture
def dlh() -> Iterator[DLHApp]:
    with DLHApp() as sim:
        yield sim


def connect_dlh(app: FastAPI, dlh: DLHApp) -> None:
    """An enabled connector instance serving the city's DLH (no worker runs in these tests)."""
    spec = integrations.InstanceSpec(
        id="dlh-kota-rest",
        connector="rest_json",
        institution="dlh-kota-bandar-lampung",
        config=dlh_config(dlh),
    )
    with transaction(app.state.sessionmaker) as session:
        integrations.register(session, app.state.vault, spec, actor="test").enabled = True


def test_intake_writes_complaint_first_event_and_outbox_message_together(
    app: FastAPI, client: TestClient, dlh: DLHApp, enqueued_after_commit: list[uuid.UUID]
) -> None:
    connect_dlh(app, dlh)
    complaint_id = client.post("/v1/complaints", json=submission()).json()["id"]
    with app.state.sessionmaker() as session:
        events = session.scalars(sa.select(ComplaintEvent).order_by(ComplaintEvent.seq)).all()
        messages = session.scalars(sa.select(OutboxMessage)).all()
    assert [(str(e.complaint_id), e.type, e.status, e.seq) for e in events] == [
        (complaint_id, "complaint.created", "received", 1),
        (complaint_id, "complaint.status_changed", "triaged", 2),
    ]
    assert [(str(m.complaint_id), m.kind, m.target) for m in messages] == [
        (complaint_id, MessageKind.DELIVER_COMPLAINT, "dlh-kota-rest")
    ]
    assert enqueued_after_commit == [messages[0].id]  # handed to the queue after the commit


def test_a_bad_body_is_a_422_problem_naming_each_bad_field(client: TestClient) -> None:
    response = client.post(
        "/v1/complaints",
        json={"title": "", "contact": {"email": "nope"}, "location": {"lat": 123}, "color": "red"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"].startswith("https://")
    pointers = {e["pointer"] for e in problem["errors"]}
    assert pointers == {"/title", "/description", "/contact/email", "/location/lat", "/color"}


def test_a_body_that_is_not_json_is_a_422_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/complaints", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_unknown_category_and_region_are_refused_by_name(client: TestClient, app: FastAPI) -> None:
    body = submission(category="alien_invasion")
    body["location"]["region"] = "kota-atlantis"
    response = client.post("/v1/complaints", json=body)
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"/category", "/location/region"}
    assert count(app, Complaint) == 0


def test_the_same_idempotency_key_and_body_return_the_original_complaint(
    client: TestClient, app: FastAPI, dlh: DLHApp
) -> None:
    connect_dlh(app, dlh)
    headers = {"Idempotency-Key": "superapp-7f3a"}
    first = client.post("/v1/complaints", json=submission(), headers=headers)
    again = client.post("/v1/complaints", json=submission(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert count(app, Complaint) == 1
    assert count(app, OutboxMessage) == 1  # routed and delivered once, not once per retry


def test_the_same_idempotency_key_with_another_body_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    headers = {"Idempotency-Key": "superapp-7f3a"}
    client.post("/v1/complaints", json=submission(), headers=headers)
    other = client.post("/v1/complaints", json=submission(title="Lain lagi"), headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == PROBLEM
    assert "different request body" in other.json()["detail"]
    assert count(app, Complaint) == 1


def test_concurrent_requests_with_one_key_create_one_complaint(
    client: TestClient, app: FastAPI
) -> None:
    headers = {"Idempotency-Key": "retry-storm"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(
                lambda _: client.post("/v1/complaints", json=submission(), headers=headers),
                range(12),
            )
        )
    assert {r.status_code for r in responses} <= {200, 201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert count(app, Complaint) == 1
