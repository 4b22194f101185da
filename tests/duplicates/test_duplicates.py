"""Possible duplicates: suggested at intake, decided by the assigned OPD's staff, followed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.complaints import service as complaints
from hub.complaints.models import Complaint
from hub.complaints.updates import ApplyOutcome, apply_status_update
from hub.db import transaction, utcnow
from hub.duplicates.models import DuplicateLink
from schemas.models import Status, StatusUpdate
from tests.conftest import ADMIN
from tests.duplicates.conftest import DLH_KOTA, citizen, north, staff, subscribe, webhook_events
from tests.oversight.helpers import move

Login = Callable[[Principal | None], None]


def file(client: TestClient, metres: float = 0.0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "superapp",
        "title": "Sampah menumpuk di pinggir jalan",
        "description": "Sampah menumpuk seminggu di pinggir jalan, bau sekali.",
        "category": "sampah_lingkungan",
        "privacy": "public",
        "location": north(metres),
    }
    body.update(overrides)
    response = client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    if "category" not in overrides:
        assert created["institution"] == DLH_KOTA  # routed: the OPD whose staff decide
    return created


def backdate(app: FastAPI, complaint_id: str, *, days: int) -> None:
    with transaction(app.state.sessionmaker) as session:
        complaint = session.get(Complaint, uuid.UUID(complaint_id))
        assert complaint is not None
        complaint.created_at -= timedelta(days=days)


def read(client: TestClient, login: Login, who: Principal | None, complaint_id: str) -> Any:
    login(who)
    response = client.get(f"/v1/complaints/{complaint_id}")
    assert response.status_code == 200, response.text
    return response.json()


def confirm(client: TestClient, complaint_id: str, original_id: str) -> Any:
    return client.post(
        f"/v1/complaints/{complaint_id}/duplicate/confirm", json={"original_id": original_id}
    )


def test_a_nearby_report_of_the_same_category_is_suggested_to_staff_only(
    client: TestClient, login: Login
) -> None:
    original = file(client)
    again = file(client, metres=100)
    view = read(client, login, staff(), again["id"])
    (suggestion,) = view["duplicate_suggestions"]
    assert suggestion["original_id"] == original["id"]
    assert suggestion["tracking_code"] == original["tracking_code"]
    assert suggestion["state"] == "suggested"
    assert 99 <= suggestion["distance_m"] <= 101
    assert view["duplicate_of"] is None
    entry = next(e for e in view["timeline"] if e["type"] == "complaint.possible_duplicate")
    assert original["tracking_code"] in entry["internal_note"]
    assert entry["note"] is None  # internal: nothing for the citizen to read

    public = read(client, login, None, again["id"])
    assert "duplicate_suggestions" not in public
    assert all(e["type"] != "complaint.possible_duplicate" for e in public["timeline"])
    oversight = client.get(f"/v1/public/complaints/{again['tracking_code']}").json()
    assert oversight["timeline"][0]["type"] == "complaint.created"
    assert all(e["type"] != "complaint.possible_duplicate" for e in oversight["timeline"])
    assert read(client, login, staff(), original["id"])["duplicate_suggestions"] == []


def test_far_away_other_category_closed_confidential_or_old_reports_are_not_suggested(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    file(client, metres=400)  # beyond 250 m
    file(client, category="jalan_jembatan", title="Jalan berlubang")  # another category
    confidential = file(client, privacy="confidential")
    old = file(client, metres=10)
    closed = file(client, metres=20)
    backdate(app, old["id"], days=31)
    backdate(app, confidential["id"], days=29)
    backdate(app, closed["id"], days=29)
    move(app, closed["id"], (Status.REJECTED, None))
    new = file(client)
    codes = {
        s["tracking_code"] for s in read(client, login, ADMIN, new["id"])["duplicate_suggestions"]
    }
    assert codes == set()  # the 400 m one is too far, the rest fail the other rules

    # Radius and window are settings: 500 m and 40 days bring two of them in.
    app.state.settings = app.state.settings.model_copy(
        update={"duplicate_radius_m": 500.0, "duplicate_window_days": 40}
    )
    newer = file(client)
    view = read(client, login, ADMIN, newer["id"])
    distances = [
        (s["tracking_code"], round(s["distance_m"])) for s in view["duplicate_suggestions"]
    ]
    assert [d[1] for d in distances] == [0, 10, 400]  # nearest first: `new`, `old`, the far one
    assert distances[1][0] == old["tracking_code"]


def test_staff_of_the_assigned_opd_confirm_and_the_citizen_is_told_what_to_follow(
    client: TestClient, login: Login
) -> None:
    original = file(client)
    login(citizen("warga-2"))
    again = file(client, metres=50)
    login(staff())
    response = confirm(client, again["id"], original["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "duplicate"
    assert body["duplicate_of"] == {
        "id": original["id"],
        "tracking_code": original["tracking_code"],
    }
    (link,) = body["duplicate_suggestions"]
    assert (link["state"], link["decided_by"]) == ("confirmed", f"staff-{DLH_KOTA}")

    mine = read(client, login, citizen("warga-2"), again["id"])
    assert mine["status"] == "duplicate"
    assert mine["duplicate_of"]["tracking_code"] == original["tracking_code"]
    assert "duplicate_suggestions" not in mine  # for staff only
    last = mine["timeline"][-1]
    assert last["status"] == "duplicate" and original["tracking_code"] in last["note"]
    assert read(client, login, None, again["id"])["duplicate_of"]["id"] == original["id"]

    login(staff())
    assert confirm(client, again["id"], original["id"]).status_code == 200  # again: no change
    events = read(client, login, ADMIN, again["id"])["timeline"]
    assert [e["status"] for e in events].count("duplicate") == 1


def test_only_the_assigned_opd_staff_or_an_admin_decide(client: TestClient, login: Login) -> None:
    original = file(client)
    again = file(client, metres=30)
    login(None)
    assert confirm(client, again["id"], original["id"]).status_code == 401
    login(citizen("warga-1"))
    assert confirm(client, again["id"], original["id"]).status_code == 403  # no scope
    login(staff("dinkes-prov"))
    denied = confirm(client, again["id"], original["id"])
    assert denied.status_code == 403 and "assigned" in denied.json()["detail"]
    login(staff(DLH_KOTA, "complaints:read"))
    assert confirm(client, again["id"], original["id"]).status_code == 403
    login(ADMIN)
    assert confirm(client, again["id"], original["id"]).status_code == 200
    login(staff())
    assert confirm(client, str(uuid.uuid4()), original["id"]).status_code == 404


def test_impossible_links_are_refused_with_a_reason(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    original = file(client)
    second = file(client, metres=20)
    third = file(client, metres=40)
    secret = file(client, metres=60, privacy="confidential")
    login(staff())
    assert confirm(client, second["id"], second["id"]).status_code == 422
    unknown = confirm(client, second["id"], str(uuid.uuid4()))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/original_id"
    assert confirm(client, second["id"], secret["id"]).status_code == 422
    assert confirm(client, second["id"], original["id"]).status_code == 200
    chained = confirm(client, third["id"], second["id"])
    assert chained.status_code == 422
    assert original["tracking_code"] in chained.json()["detail"]  # names the one to use
    other = confirm(client, second["id"], third["id"])
    assert other.status_code == 409 and original["tracking_code"] in other.json()["detail"]
    move(app, third["id"], (Status.REJECTED, None))
    assert confirm(client, third["id"], original["id"]).status_code == 409  # already closed


def test_staff_dismiss_one_suggestion_or_all(client: TestClient, login: Login) -> None:
    first = file(client)
    second = file(client, metres=30)
    third = file(client, metres=60)
    login(staff())
    url = f"/v1/complaints/{third['id']}/duplicate/dismiss"
    response = client.post(url, json={"original_id": second["id"]})
    assert response.status_code == 200, response.text
    states = {s["tracking_code"]: s["state"] for s in response.json()["duplicate_suggestions"]}
    assert states == {first["tracking_code"]: "suggested", second["tracking_code"]: "dismissed"}
    assert client.post(url, json={"original_id": second["id"]}).status_code == 200  # again
    never = client.post(url, json={"original_id": str(uuid.uuid4())})
    assert never.status_code == 422

    everything = client.post(url)
    assert {s["state"] for s in everything.json()["duplicate_suggestions"]} == {"dismissed"}
    view = read(client, login, ADMIN, third["id"])
    assert view["status"] == "triaged"  # a dismissal changes nothing for the citizen
    assert [e["type"] for e in view["timeline"]].count("complaint.duplicate_dismissed") == 2

    assert confirm(client, third["id"], first["id"]).status_code == 200
    login(staff())
    refused = client.post(url, json={"original_id": first["id"]})
    assert refused.status_code == 409  # confirmed links stay


def test_the_duplicates_reporter_follows_the_original(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    original = file(client)
    again = file(client, metres=40)
    login(staff())
    assert confirm(client, again["id"], original["id"]).status_code == 200
    subscribe(app, "complaint.status_changed")

    move(app, original["id"], (Status.DISPATCHED, None), (Status.IN_PROGRESS, None))
    changes = webhook_events(app, "complaint.status_changed")
    own = [e["data"] for e in changes if e["data"]["complaint_id"] == original["id"]]
    followed = [e["data"] for e in changes if e["data"]["complaint_id"] == again["id"]]
    assert [d["status"] for d in own] == ["dispatched", "in_progress"]
    assert [d["original"]["status"] for d in followed] == ["dispatched", "in_progress"]
    assert {d["status"] for d in followed} == {"duplicate"}  # its own status stays
    assert followed[0]["tracking_code"] == again["tracking_code"]
    assert followed[0]["original"]["tracking_code"] == original["tracking_code"]
    assert [e["subject"] for e in changes if e["data"]["complaint_id"] == again["id"]] == [
        again["tracking_code"]
    ] * 2

    # A dismissed suggestion does not follow.
    login(None)
    other = file(client, metres=80)
    login(staff())
    client.post(f"/v1/complaints/{other['id']}/duplicate/dismiss")
    move(app, original["id"], (Status.RESOLVED, None))
    resolved = [
        e["data"]["complaint_id"]
        for e in webhook_events(app, "complaint.status_changed")
        if "resolved" in (e["data"]["status"], e["data"].get("original", {}).get("status"))
    ]
    assert sorted(resolved) == sorted([original["id"], again["id"]])


def test_intake_without_coordinates_or_category_suggests_nothing(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    file(client)
    response = client.post(
        "/v1/complaints",
        json={
            "channel": "superapp",
            "title": "Sampah menumpuk",
            "description": "Sampah menumpuk seminggu di pinggir jalan, bau sekali.",
            "category": "sampah_lingkungan",
            "location": {"region": "kota-bandar-lampung", "address": "Jl. Kartini"},
        },
    )
    assert response.status_code == 201
    view = read(client, login, ADMIN, response.json()["id"])
    assert view["duplicate_suggestions"] == []
    with app.state.sessionmaker() as session:
        complaint = complaints.get(session, uuid.UUID(response.json()["id"]))
        assert complaint is not None and complaint.lat is None


def test_an_opd_app_marking_a_duplicate_links_it_so_the_citizen_follows(
    client: TestClient, app: FastAPI, login: Login
) -> None:
    original = file(client)
    again = file(client, metres=500)  # too far to be suggested: the OPD knows better
    lost = file(client, metres=900)
    with transaction(app.state.sessionmaker) as session:
        for complaint_id, reference in (
            (again["id"], original["tracking_code"]),
            (lost["id"], "LPG-1999-999999"),
        ):
            result = apply_status_update(
                session,
                StatusUpdate(
                    complaint_id=uuid.UUID(complaint_id),
                    status=Status.DUPLICATE,
                    duplicate_of=reference,
                    note="Sudah dilaporkan sebelumnya.",
                    occurred_at=utcnow(),
                    source_event_id=f"dup-{complaint_id}",
                ),
                source="dlh-app",
            )
            assert result.outcome == ApplyOutcome.APPLIED
    view = read(client, login, staff(), again["id"])
    assert view["duplicate_of"] == {
        "id": original["id"],
        "tracking_code": original["tracking_code"],
    }
    (link,) = view["duplicate_suggestions"]
    assert (link["state"], link["decided_by"], round(link["distance_m"])) == (
        "confirmed",
        "dlh-app",
        500,
    )
    unknown = read(client, login, staff(), lost["id"])
    assert (unknown["status"], unknown["duplicate_of"]) == ("duplicate", None)


def test_at_a_hot_spot_only_the_newest_nearby_reports_are_compared(
    client: TestClient, app: FastAPI
) -> None:
    """Hundreds of reports of one flood must not make each new intake slower than the last."""
    from hub.duplicates.service import DuplicateRules, suggest

    oldest, middle, newest = (file(client, metres=m) for m in (0, 100, 10))
    backdate(app, oldest["id"], days=2)
    backdate(app, middle["id"], days=1)

    def suggested(rules: DuplicateRules) -> list[str]:
        """What suggest() finds for the newest report, never committed."""
        with app.state.sessionmaker() as session:
            complaint = session.get(Complaint, uuid.UUID(newest["id"]))
            assert complaint is not None
            session.execute(
                sa.delete(DuplicateLink).where(DuplicateLink.complaint_id == complaint.id)
            )
            found = [str(link.original_id) for link in suggest(session, complaint, rules)]
            session.rollback()
            return found

    everything = suggested(DuplicateRules())
    newest_only = suggested(DuplicateRules(scan_limit=1))
    assert everything == [oldest["id"], middle["id"]]  # nearest first, when all are compared
    assert newest_only == [middle["id"]]  # only the most recent nearby report
