"""No wrong door: an OPD sends back a report that is not theirs; the hub routes it onward."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.complaints.updates import ApplyOutcome, apply_status_update
from hub.db import utcnow
from hub.delivery.models import MessageKind, MessageState, OutboxMessage
from schemas.models import Status, StatusUpdate
from tests.conftest import ADMIN
from tests.triage_admin.conftest import CITIZEN, DLH_KOTA, KOTA, opd_client, staff, stored

Login = Callable[[Principal | None], None]
File = Callable[..., dict[str, Any]]
REASON = "Lokasi ini jalan provinsi, bukan wewenang DLH kota."


def send_back(client: TestClient, complaint_id: str, reason: str = REASON) -> Any:
    return client.post(f"/v1/complaints/{complaint_id}/return", json={"reason": reason})


def test_a_returned_report_is_routed_at_once_to_the_next_institution_that_fits(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report()
    assert (report["status"], report["institution"]) == ("triaged", DLH_KOTA)
    login(staff(DLH_KOTA))
    response = send_back(client, report["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rerouted"]["institution"] == KOTA  # the city government's catch-all rule
    assert body["rerouted"]["routing"]["rule_id"] == "kabkota-sampah"
    assert (body["status"], body["institution"]) == ("triaged", KOTA)
    login(ADMIN)
    timeline = client.get(f"/v1/complaints/{report['id']}").json()["timeline"]
    types = [(e["type"], e["status"]) for e in timeline]
    assert types[-4:] == [
        ("complaint.status_changed", "received"),
        ("complaint.returned", None),
        ("complaint.status_changed", "triaged"),
        ("complaint.inbox", None),  # the city has no connected app
    ]
    returned = timeline[-3]
    assert returned["data"] == {"refused_by": DLH_KOTA, "reason": REASON}
    assert returned["actor"].startswith(f"staff-{DLH_KOTA}")
    assert timeline[-4]["data"]["returned"] is True


def test_the_citizen_reads_that_the_report_was_forwarded_but_not_the_internal_reason(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report()
    login(staff(DLH_KOTA))
    send_back(client, report["id"])
    login(CITIZEN)
    timeline = client.get(f"/v1/complaints/{report['id']}").json()["timeline"]
    notes = [e["note"] or "" for e in timeline]
    assert any("diteruskan ke instansi yang berwenang" in n for n in notes)
    assert any("Pemerintah Kota Bandar Lampung" in n for n in notes)
    assert all(REASON not in n for n in notes)
    assert all("internal_note" not in e and "data" not in e for e in timeline)


def test_when_every_fitting_institution_refused_it_waits_in_the_manual_queue(
    client: TestClient, login: Login, file_report: File
) -> None:
    report = file_report()
    login(staff(DLH_KOTA))
    assert send_back(client, report["id"]).status_code == 200
    login(staff(KOTA))
    last = send_back(client, report["id"], "Bukan urusan kami.")
    assert last.status_code == 200
    assert last.json()["rerouted"] == {
        "status": "received",
        "institution": None,
        "delivery": None,
        "routing": last.json()["rerouted"]["routing"],
    }
    assert last.json()["rerouted"]["routing"]["action"] == "manual"
    login(ADMIN)
    queue = client.get("/v1/triage/queue").json()["items"]
    assert [(i["id"], i["returned_by"]) for i in queue] == [
        (report["id"], sorted([DLH_KOTA, KOTA]))
    ]
    assert queue[0]["institution"] is None


def test_the_refusing_opd_loses_the_report_and_an_undelivered_copy_is_not_sent(
    client: TestClient,
    login: Login,
    file_report: File,
    connect: Callable[[str, str], None],
    app: FastAPI,
) -> None:
    connect("dlh-kota-rest", DLH_KOTA)
    connect("kota-rest", KOTA)
    report = file_report()
    login(staff(DLH_KOTA))
    body = send_back(client, report["id"]).json()
    assert body["rerouted"]["delivery"] == "connector"
    assert "contact" not in body  # no longer theirs: the public view only
    with app.state.sessionmaker() as session:
        rows = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.DELIVER_COMPLAINT)
            .order_by(OutboxMessage.created_at)
        ).all()
    assert [(m.target, m.state) for m in rows] == [
        ("dlh-kota-rest", MessageState.DISCARDED),
        ("kota-rest", MessageState.PENDING),
    ]
    assert "returned by dlh-kota-bandar-lampung" in (rows[0].discard_reason or "")
    assert client.get("/v1/opd/inbox").json()["items"] == []


def test_the_opds_connected_app_may_send_a_report_back(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    report = file_report()
    login(opd_client(DLH_KOTA))
    assert send_back(client, report["id"]).status_code == 200
    assert stored(app, report["id"]).institution == KOTA


def test_an_admin_may_send_a_report_back_on_the_opds_behalf(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    report = file_report()
    login(ADMIN)
    assert send_back(client, report["id"]).status_code == 200
    returned = [e for e in stored(app, report["id"]).events if e.type == "complaint.returned"]
    assert (returned[0].data["refused_by"], returned[0].actor) == (DLH_KOTA, ADMIN.subject)


def test_a_report_can_be_sent_back_only_while_it_is_with_the_opd(
    client: TestClient, login: Login, file_report: File
) -> None:
    waiting = file_report(category="pendidikan", description="Guru sering tidak hadir mengajar.")
    assert waiting["status"] == "received"
    login(ADMIN)
    response = send_back(client, waiting["id"])
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["allowed"] == ["acknowledged", "dispatched", "triaged"]
    empty = client.post(f"/v1/complaints/{waiting['id']}/return", json={"reason": ""})
    assert empty.status_code == 422


def test_only_the_assigned_opd_may_send_a_report_back(
    client: TestClient, login: Login, file_report: File, app: FastAPI
) -> None:
    public = file_report()
    secret = file_report(privacy="confidential")
    login(None)
    assert send_back(client, public["id"]).status_code == 401
    login(CITIZEN)  # the reporter, without complaints:update
    assert send_back(client, public["id"]).status_code == 403
    login(staff("dinkes-prov"))
    assert send_back(client, public["id"]).status_code == 403  # visible, but not theirs
    assert send_back(client, secret["id"]).status_code == 404  # rahasia: not even visible
    login(staff(DLH_KOTA, "complaints:read"))
    assert send_back(client, public["id"]).status_code == 403  # lacks complaints:update
    login(staff(DLH_KOTA))
    assert send_back(client, str(uuid.uuid4())).status_code == 404
    assert stored(app, public["id"]).institution == DLH_KOTA


def test_a_return_reported_by_the_opds_app_is_rerouted_the_same_way(
    client: TestClient, file_report: File, app: FastAPI
) -> None:
    """The webhook and polling lanes: an OPD app that answers `received` ("not ours")."""
    report = file_report()
    update = StatusUpdate(
        complaint_id=uuid.UUID(report["id"]),
        status=Status.RECEIVED,
        occurred_at=utcnow(),
        source_event_id="ret-1",
        internal_note="bukan wewenang kami",
    )
    with app.state.sessionmaker() as session, session.begin():
        result = apply_status_update(session, update, source="dlh-kota-rest")
    assert (result.outcome, result.status) == (ApplyOutcome.APPLIED, Status.TRIAGED)
    complaint = stored(app, report["id"])
    assert (complaint.status, complaint.institution) == ("triaged", KOTA)
    returned = [e for e in complaint.events if e.type == "complaint.returned"]
    assert [e.data for e in returned] == [{"refused_by": DLH_KOTA, "reason": "bukan wewenang kami"}]
