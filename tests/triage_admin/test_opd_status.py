"""OPD staff work their reports in the hub: the inbox, and status changes by hand."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.delivery.models import MessageKind, OutboxMessage
from hub.notifications.service import create_subscription
from tests.conftest import ADMIN
from tests.triage_admin.conftest import CITIZEN, DLH_KOTA, opd_client, staff, stored

Login = Callable[[Principal | None], None]
File = Callable[..., dict[str, Any]]
PROBLEM = "application/problem+json"


def set_status(client: TestClient, complaint_id: str, **body: Any) -> Any:
    return client.post(f"/v1/complaints/{complaint_id}/status", json=body)


def subscribe(app: FastAPI) -> None:
    with app.state.sessionmaker() as session, session.begin():
        create_subscription(
            session,
            app.state.webhook_fernet,
            url="http://127.0.0.1:9/hooks",
            event_types=["complaint.status_changed"],
        )


def notified_statuses(app: FastAPI) -> list[str]:
    with app.state.sessionmaker() as session:
        rows = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.WEBHOOK)
            .order_by(OutboxMessage.created_at)
        ).all()
    return [json.loads(m.payload["body"])["data"]["status"] for m in rows]


def test_staff_move_an_inbox_report_forward_each_change_on_the_timeline_and_notified(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    report = file_report()  # DLH kota has no connected app: the report is in its hub inbox
    subscribe(app)
    login(staff(DLH_KOTA))
    response = set_status(
        client,
        report["id"],
        status="in_progress",
        note="Petugas kebersihan dijadwalkan besok pagi.",
        internal_note="truk 3",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"]) == ("in_progress", "applied")
    assert body["steps"] == ["dispatched", "in_progress"]  # read in the hub = delivered
    changes = [e for e in body["timeline"] if e["type"] == "complaint.status_changed"]
    assert [e["status"] for e in changes][-2:] == ["dispatched", "in_progress"]
    assert changes[-1]["actor"].startswith(f"staff-{DLH_KOTA}")
    assert changes[-1]["internal_note"] == "truk 3"
    assert notified_statuses(app) == ["dispatched", "in_progress"]
    resolved = set_status(client, report["id"], status="resolved", note="Sudah dibersihkan.")
    assert (resolved.json()["status"], resolved.json()["steps"]) == ("resolved", ["resolved"])
    login(CITIZEN)
    public = client.get(f"/v1/complaints/{report['id']}").json()
    assert public["status_label"] == {"id": "Selesai", "en": "Resolved"}
    assert "Sudah dibersihkan." in [e["note"] for e in public["timeline"]]


def test_an_illegal_change_is_a_409_naming_the_states_allowed(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    report = file_report()
    login(staff(DLH_KOTA))
    response = set_status(client, report["id"], status="closed")
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["current_status"] == "triaged"
    assert problem["allowed"] == ["dispatched", "duplicate", "received", "redirected", "rejected"]
    assert "cannot move a complaint from triaged to closed" in problem["detail"]
    assert stored(app, report["id"]).status == "triaged"


def test_an_out_of_order_change_is_ignored_but_its_note_is_kept(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    report = file_report()
    login(staff(DLH_KOTA))
    assert set_status(client, report["id"], status="in_progress").status_code == 200
    stale = set_status(client, report["id"], status="acknowledged")
    assert (stale.status_code, stale.json()["outcome"]) == (200, "stale")
    noted = set_status(client, report["id"], status="acknowledged", note="Sudah kami terima.")
    assert (noted.json()["outcome"], noted.json()["status"]) == ("noted", "in_progress")
    same = set_status(client, report["id"], status="in_progress")
    assert same.json()["outcome"] == "noop"
    assert stored(app, report["id"]).events[-1].note == "Sudah kami terima."


def test_redirect_and_duplicate_name_where_the_report_belongs(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    original, copy, other = file_report(), file_report(), file_report()
    login(staff(DLH_KOTA))
    missing = set_status(client, copy["id"], status="duplicate")
    assert missing.status_code == 422 and missing.json()["errors"][0]["pointer"] == "/duplicate_of"
    itself = set_status(client, copy["id"], status="duplicate", duplicate_of=copy["tracking_code"])
    assert itself.status_code == 422
    dup = set_status(client, copy["id"], status="duplicate", duplicate_of=original["tracking_code"])
    assert dup.status_code == 200 and dup.json()["status"] == "duplicate"
    event = stored(app, copy["id"]).events[-1]
    assert event.data["duplicate_of"] == original["id"]
    no_target = set_status(client, other["id"], status="redirected")
    assert no_target.status_code == 422
    unknown = set_status(client, other["id"], status="redirected", redirect_to="nowhere")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/redirect_to"
    redirected = set_status(
        client,
        other["id"],
        status="redirected",
        redirect_to="polda-lampung",
        note="Silakan lapor ke Polda Lampung.",
    )
    assert redirected.status_code == 200
    assert stored(app, other["id"]).events[-1].data["redirect_to"] == "polda-lampung"


def test_sending_back_to_triage_and_assigning_are_not_plain_status_changes(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report()
    login(staff(DLH_KOTA))
    response = set_status(client, report["id"], status="received")
    assert response.status_code == 422
    assert "/return" in response.json()["detail"]
    waiting = file_report(category=None, description="Ada masalah di depan rumah, mohon dicek.")
    login(ADMIN)
    assigned = set_status(client, waiting["id"], status="triaged")
    assert assigned.status_code == 422
    assert "/triage" in assigned.json()["detail"]


def test_only_the_assigned_opd_or_an_admin_sets_the_status(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    public = file_report()
    secret = file_report(privacy="confidential")
    login(None)
    assert set_status(client, public["id"], status="acknowledged").status_code == 401
    login(CITIZEN)
    assert set_status(client, public["id"], status="acknowledged").status_code == 403
    login(staff("dinkes-prov"))
    assert set_status(client, public["id"], status="acknowledged").status_code == 403
    assert set_status(client, secret["id"], status="acknowledged").status_code == 404
    assert stored(app, public["id"]).status == "triaged"
    login(opd_client(DLH_KOTA))  # the OPD's e-mail connector mailbox, say
    assert set_status(client, public["id"], status="acknowledged").status_code == 200
    login(ADMIN)
    assert set_status(client, public["id"], status="rejected").status_code == 200
    assert stored(app, public["id"]).status == "rejected"


def test_the_inbox_lists_the_opds_reports_newest_first_in_full(
    client: TestClient, login: Login, file_report: File
) -> None:
    older = file_report()
    newer = file_report(privacy="confidential")
    anonymous = file_report(privacy="anonymous")
    elsewhere = file_report(category="jalan_jembatan")
    assert elsewhere["institution"] != DLH_KOTA
    login(staff(DLH_KOTA))
    assert set_status(client, older["id"], status="acknowledged").status_code == 200
    body = client.get("/v1/opd/inbox").json()
    assert body["opd"] == DLH_KOTA
    assert [i["id"] for i in body["items"]] == [anonymous["id"], newer["id"], older["id"]]
    by_id = {i["id"]: i for i in body["items"]}
    assert by_id[newer["id"]]["contact"]["name"] == "Siti Aminah"  # rahasia: still theirs
    assert "contact" not in by_id[anonymous["id"]]  # anonim: identity hidden from the OPD
    acknowledged = client.get("/v1/opd/inbox", params={"status": "acknowledged"}).json()
    assert [i["id"] for i in acknowledged["items"]] == [older["id"]]
    page = client.get("/v1/opd/inbox", params={"limit": 2}).json()
    rest = client.get("/v1/opd/inbox", params={"limit": 2, "cursor": page["next_cursor"]})
    assert [i["id"] for i in page["items"] + rest.json()["items"]] == [
        anonymous["id"],
        newer["id"],
        older["id"],
    ]


def test_an_inbox_is_only_its_opds(client: TestClient, login: Login, file_report: File) -> None:
    file_report()
    login(None)
    assert client.get("/v1/opd/inbox").status_code == 401
    login(CITIZEN)
    assert client.get("/v1/opd/inbox").status_code == 403
    login(staff("dinkes-prov"))
    assert client.get("/v1/opd/inbox").json()["items"] == []
    assert client.get("/v1/opd/inbox", params={"opd": DLH_KOTA}).status_code == 403
    login(ADMIN)
    assert client.get("/v1/opd/inbox").status_code == 422
    assert len(client.get("/v1/opd/inbox", params={"opd": DLH_KOTA}).json()["items"]) == 1


def test_unknown_reports_are_404(client: TestClient, login: Login) -> None:
    login(ADMIN)
    response = set_status(client, str(uuid.uuid4()), status="acknowledged")
    assert response.status_code == 404
