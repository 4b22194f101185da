"""The triage desk: reports no rule could place wait for a hub admin, who decides and routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.access import Principal
from hub.delivery.models import MessageKind, OutboxMessage
from hub.settings import Settings, get_settings
from hub.triage.cli import app as triage_cli
from hub.triage.training import decisions_path, stored_decisions
from tests.conftest import ADMIN
from tests.triage_admin.conftest import ROADS_ONLY, staff, stored

QUEUE = "/v1/triage/queue"
PROBLEM = "application/problem+json"

Login = Callable[[Principal | None], None]
File = Callable[..., dict[str, Any]]


@pytest.fixture(autouse=True)
def roads_only(use_rules: Callable[[list[dict[str, Any]]], None]) -> None:
    """Only road reports are placed automatically; the garbage reports below wait."""
    use_rules(ROADS_ONLY)


def triage(client: TestClient, complaint_id: str, **body: Any) -> Any:
    return client.post(f"/v1/complaints/{complaint_id}/triage", json=body)


def test_reports_no_rule_places_wait_in_the_queue_with_the_classifier_suggestion(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report(category=None)
    assert report["status"] == "received"
    login(ADMIN)
    items = client.get(QUEUE).json()["items"]
    assert [i["id"] for i in items] == [report["id"]]
    entry = items[0]
    assert entry["contact"]["name"] == "Siti Aminah"  # admins see the whole report
    suggestion = entry["suggestion"]
    assert suggestion["category_source"] == "classifier"
    assert suggestion["category"] == suggestion["prediction"]["category"] == "sampah_lingkungan"
    assert suggestion["routing"]["action"] == "manual"
    assert entry["waiting_since"] and entry["returned_by"] == []


def test_the_queue_is_oldest_first_and_paginated_without_gaps(
    client: TestClient, login: Login, file_report: File
) -> None:
    ids = [file_report()["id"] for _ in range(3)]
    placed = file_report(category="jalan_jembatan")  # a rule places it: not in the queue
    assert placed["status"] == "triaged"
    login(ADMIN)
    first = client.get(QUEUE, params={"limit": 2}).json()
    second = client.get(QUEUE, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


def test_a_decision_sets_the_category_routes_by_the_rules_and_names_who_decided(
    client: TestClient, login: Login, file_report: File, settings: Settings
) -> None:
    report = file_report(category=None)
    login(ADMIN)
    response = triage(client, report["id"], category="jalan_jembatan", note="foto jalan rusak")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["category"], body["institution"]) == (
        "triaged",
        "jalan_jembatan",
        "bmbk-prov",
    )
    assert body["triage"]["routing"]["rule_id"] == "jalan-provinsi"
    decided = [e for e in body["timeline"] if e["type"] == "complaint.triage_decided"]
    assert decided[0]["actor"] == ADMIN.subject
    assert decided[0]["data"]["decided_by"] == ADMIN.subject
    assert decided[0]["data"]["suggested_category"] == "sampah_lingkungan"
    assert decided[0]["internal_note"] == "foto jalan rusak"
    assert client.get(QUEUE).json()["items"] == []
    login(None)  # the citizen-facing timeline says where the report went, without internals
    public = client.get(f"/v1/complaints/{report['id']}").json()["timeline"]
    assert any("diteruskan" in (e["note"] or "") for e in public)
    assert all("internal_note" not in e for e in public)


def test_a_decision_is_kept_for_retraining_without_personal_data(
    client: TestClient, login: Login, file_report: File, settings: Settings
) -> None:
    report = file_report(
        category=None,
        description="Sampah menumpuk seminggu, bau sekali. Hubungi saya di 081234567890.",
    )
    login(ADMIN)
    response = triage(client, report["id"], category="sampah_lingkungan", institution="dlh-prov")
    assert response.status_code == 200
    decisions = stored_decisions(settings.data_dir)
    assert [d.category for d in decisions] == ["sampah_lingkungan"]
    assert "Sampah menumpuk seminggu" in decisions[0].text
    assert "081234567890" not in decisions_path(settings.data_dir).read_text("utf-8")


@pytest.fixture
def hub_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The environment `hub` commands run with: the same data dir as the API's settings."""
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield settings.data_dir
    get_settings.cache_clear()


def test_hub_triage_train_learns_from_the_decisions_the_api_recorded(
    client: TestClient, login: Login, file_report: File, hub_env: Path
) -> None:
    reports = [file_report(category=None) for _ in range(2)]
    login(ADMIN)
    for report in reports:
        response = triage(
            client, report["id"], category="sampah_lingkungan", institution="dlh-prov"
        )
        assert response.status_code == 200
    result = CliRunner().invoke(triage_cli, ["train"])  # no --data-dir: HUB_DATA_DIR
    assert result.exit_code == 0, result.output
    assert "(2 admin decisions, 0 extra)" in result.stdout
    assert (hub_env / "triage" / "model.joblib").is_file()


def test_naming_the_institution_sends_it_there_and_stages_the_delivery_to_its_app(
    client: TestClient,
    login: Login,
    file_report: File,
    connect: Callable[[str, str], None],
    app: FastAPI,
    enqueued_after_commit: list[uuid.UUID],
) -> None:
    connect("dlh-prov-rest", "dlh-prov")
    report = file_report(category=None)
    login(ADMIN)
    body = triage(client, report["id"], category="sampah_lingkungan", institution="dlh-prov").json()
    assert (body["status"], body["institution"]) == ("triaged", "dlh-prov")
    assert body["triage"]["delivery"] == "connector" and body["triage"]["routing"] is None
    with app.state.sessionmaker() as session:
        messages = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DELIVER_COMPLAINT)
        ).all()
    assert [(str(m.complaint_id), m.target) for m in messages] == [(report["id"], "dlh-prov-rest")]
    assert messages[0].id in enqueued_after_commit


def test_without_a_connected_app_the_report_waits_in_the_opd_inbox(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report(category=None)
    login(ADMIN)
    body = triage(client, report["id"], category="sampah_lingkungan", institution="dlh-prov").json()
    assert body["triage"]["delivery"] == "inbox"
    login(staff("dlh-prov"))
    inbox = client.get("/v1/opd/inbox").json()["items"]
    assert [i["id"] for i in inbox] == [report["id"]]


def test_when_no_rule_fits_the_decision_must_name_the_institution_and_nothing_changes(
    client: TestClient, login: Login, file_report: File, app: FastAPI, settings: Settings
) -> None:
    report = file_report(category=None)
    login(ADMIN)
    response = triage(client, report["id"], category="sampah_lingkungan")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["pointer"] == "/institution"
    after = stored(app, report["id"])
    assert (after.status, after.category) == ("received", None)
    assert [e.type for e in after.events].count("complaint.triage_needed") == 1
    assert [i["id"] for i in client.get(QUEUE).json()["items"]] == [report["id"]]
    assert not decisions_path(settings.data_dir).exists()


def test_bad_decisions_are_refused_clearly(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report(category=None)
    login(ADMIN)
    unknown = triage(client, report["id"], category="alien_invasion")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/category"
    nowhere = triage(client, report["id"], category="sampah_lingkungan", institution="atlantis")
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"][0]["pointer"] == "/institution"
    missing = triage(client, str(uuid.uuid4()), category="sampah_lingkungan")
    assert missing.status_code == 404
    placed = file_report(category="jalan_jembatan")
    login(ADMIN)
    again = triage(client, placed["id"], category="sampah_lingkungan", institution="dlh-prov")
    assert again.status_code == 409
    assert again.json()["current_status"] == "triaged"


def test_only_hub_admins_work_the_triage_desk(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report(category=None)
    body = {"category": "sampah_lingkungan", "institution": "dlh-prov"}
    login(None)
    assert client.get(QUEUE).status_code == 401
    assert client.post(f"/v1/complaints/{report['id']}/triage", json=body).status_code == 401
    login(staff("dlh-prov"))
    assert client.get(QUEUE).status_code == 403
    assert client.post(f"/v1/complaints/{report['id']}/triage", json=body).status_code == 403


def test_an_admin_may_reject_a_waiting_report_which_then_leaves_the_queue(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report(category=None)
    login(ADMIN)
    response = client.post(
        f"/v1/complaints/{report['id']}/status",
        json={"status": "rejected", "note": "Laporan tidak dapat diproses: data tidak lengkap."},
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert client.get(QUEUE).json()["items"] == []
