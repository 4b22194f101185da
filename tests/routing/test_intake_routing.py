"""Every new complaint is triaged and routed inside the intake transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.db import transaction
from hub.delivery.models import MessageKind, OutboxMessage
from hub.integrations import service as integrations
from hub.simulators.bina_marga import BinaMargaApp
from hub.simulators.configs import bina_marga_config
from tests.conftest import ADMIN

Login = Callable[[Principal | None], None]


def file(client: TestClient, title: str, description: str, region: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "superapp",
        "title": title,
        "description": description,
        "privacy": "public",
    }
    if region:
        body["location"] = {"lat": -5.1, "lon": 105.2, "region": region}
    response = client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def timeline(client: TestClient, login: Login, complaint_id: str) -> list[dict[str, Any]]:
    login(ADMIN)
    events: list[dict[str, Any]] = client.get(f"/v1/complaints/{complaint_id}").json()["timeline"]
    return events


def outbox(app: FastAPI) -> list[OutboxMessage]:
    with app.state.sessionmaker() as session:
        return list(session.scalars(sa.select(OutboxMessage)).all())


def road(client: TestClient) -> dict[str, Any]:
    return file(
        client,
        "Jalan provinsi rusak parah",
        "Jalan provinsi ruas Gunung Sugih berlubang besar, membahayakan pengendara.",
        "kab-lampung-tengah",
    )


@pytest.fixture
def bina_marga() -> Iterator[BinaMargaApp]:
    with BinaMargaApp() as sim:
        yield sim


def test_a_stolen_motorbike_is_redirected_to_the_police_with_a_message_for_the_citizen(
    client: TestClient, login: Login
) -> None:
    created = file(
        client,
        "Motor saya dicuri",
        "Sepeda motor saya dicuri di parkiran pasar tadi malam.",
        "kota-bandar-lampung",
    )
    assert created["status"] == "redirected"
    assert created["category"] == "kriminal_keamanan"
    assert created["institution"] == "polresta-bandar-lampung"
    public = client.get(f"/v1/complaints/{created['id']}").json()["timeline"]
    assert (
        "SPKT Kepolisian Resor Kota Bandar Lampung" in public[-1]["note"]
    )  # the citizen reads where to go
    events = timeline(client, login, created["id"])
    assert [(e["type"], e["status"]) for e in events] == [
        ("complaint.created", "received"),
        ("complaint.status_changed", "redirected"),
    ]
    assert "kepolisian" in events[-1]["note"] and "110" in events[-1]["note"]
    assert events[-1]["actor"] == "hub:triage"


def test_a_garbage_pile_in_bandar_lampung_goes_to_the_city_government(
    client: TestClient, login: Login
) -> None:
    created = file(
        client,
        "Tumpukan sampah di pinggir jalan",
        "Sampah menumpuk sudah seminggu di Jl. Teuku Umar, bau sekali.",
        "kota-bandar-lampung",
    )
    assert (created["status"], created["category"], created["institution"]) == (
        "triaged",
        "sampah_lingkungan",
        "dlh-kota-bandar-lampung",
    )


def test_a_provincial_road_without_a_connected_app_waits_in_the_opd_inbox(
    client: TestClient, app: FastAPI, login: Login, enqueued_after_commit: list[uuid.UUID]
) -> None:
    created = road(client)
    assert (created["status"], created["institution"]) == ("triaged", "bmbk-prov")
    events = timeline(client, login, created["id"])
    assert [e["type"] for e in events] == [
        "complaint.created",
        "complaint.status_changed",
        "complaint.inbox",
    ]
    assert events[-1]["data"] == {"institution": "bmbk-prov"}
    assert outbox(app) == [] and enqueued_after_commit == []


def test_a_provincial_road_is_delivered_to_the_enabled_bina_marga_instance(
    client: TestClient,
    app: FastAPI,
    login: Login,
    bina_marga: BinaMargaApp,
    enqueued_after_commit: list[uuid.UUID],
) -> None:
    spec = integrations.InstanceSpec(
        id="bmbk-soap",
        connector="soap_xml",
        institution="bmbk-prov",
        config=bina_marga_config(bina_marga),
        categories=["jalan_jembatan"],
    )
    with transaction(app.state.sessionmaker) as session:
        integrations.register(session, app.state.vault, spec, actor="test").enabled = True
    created = road(client)
    assert (created["status"], created["institution"]) == ("triaged", "bmbk-prov")
    [message] = outbox(app)
    assert message.kind == MessageKind.DELIVER_COMPLAINT
    assert message.target == "bmbk-soap"
    assert str(message.complaint_id) == created["id"]
    assert enqueued_after_commit == [message.id]
    types = [e["type"] for e in timeline(client, login, created["id"])]
    assert "complaint.inbox" not in types


def test_a_disabled_instance_does_not_receive_deliveries(
    client: TestClient, app: FastAPI, bina_marga: BinaMargaApp
) -> None:
    spec = integrations.InstanceSpec(
        id="bmbk-soap",
        connector="soap_xml",
        institution="bmbk-prov",
        config=bina_marga_config(bina_marga),
    )
    with transaction(app.state.sessionmaker) as session:
        integrations.register(session, app.state.vault, spec, actor="test")  # never checked
    road(client)
    assert outbox(app) == []


def test_an_uncertain_report_stays_received_for_a_person_to_decide(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    created = file(client, "Tolong pak", "Tolong dibantu ya pak, terima kasih.", None)
    assert (created["status"], created["institution"]) == ("received", None)
    events = timeline(client, login, created["id"])
    assert [(e["type"], e["status"]) for e in events] == [
        ("complaint.created", "received"),
        ("complaint.triage_needed", None),
    ]
    assert events[-1]["data"]["manual_review"] is True
    assert outbox(app) == []
