"""Service levels of stored reports: escalation once per level, holidays admins edit, the
deadlines in a report's view, overdue counts in the public stats, Open311 expected_datetime."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.access import Principal
from hub.complaints.models import Complaint, ComplaintEvent
from hub.sla import service
from hub.sla.calendar import packaged_calendar
from hub.sla.deadlines import SlaPolicy, Stage
from schemas.models import Status
from tests.conftest import ADMIN
from tests.duplicates.conftest import subscribe, webhook_events
from tests.sla.conftest import DLH, june

Report = Callable[..., uuid.UUID]
Login = Callable[[Principal | None], None]
TRIAGED_ONLY = (Status.TRIAGED, june(8, 10, 1))  # routed, its delivery still waiting


def check(app: FastAPI, now: datetime, **kwargs: Any) -> list[tuple[str, str]]:
    report = service.check(app.state.sessionmaker, now=now, **kwargs)
    return [(e["stage"], e["level"]) for e in report.escalations]


def escalations(app: FastAPI, complaint_id: uuid.UUID) -> list[dict[str, Any]]:
    with app.state.sessionmaker() as session:
        rows = session.scalars(
            select(ComplaintEvent)
            .where(
                ComplaintEvent.complaint_id == complaint_id,
                ComplaintEvent.type == "complaint.escalated",
            )
            .order_by(ComplaintEvent.seq)
        )
        return [dict(row.data, occurred_at=row.occurred_at) for row in rows]


def test_an_overdue_report_escalates_to_the_opd_head_then_the_inspektorat_once_each(
    app: FastAPI, report: Report
) -> None:
    subscribe(app, "complaint.overdue")
    complaint_id = report(june(8, 10), TRIAGED_ONLY)  # Monday: forward by Thursday 11th
    assert check(app, june(11, 23, 59)) == []
    assert check(app, june(12, 9)) == [("triage", "opd_head")]
    assert check(app, june(12, 10)) == []
    assert check(app, june(18, 9)) == []  # 4 working days late: the 16th is a holiday
    assert check(app, june(19, 9)) == [("triage", "inspektorat")]
    assert check(app, june(19, 9)) == check(app, june(22, 9)) == []

    recorded = escalations(app, complaint_id)
    assert [(e["level"], e["target"]) for e in recorded] == [
        ("opd_head", "opd_head"),
        ("inspektorat", "inspektorat-prov"),
    ]
    assert recorded[0]["occurred_at"] == june(12, 9)
    notices = [e["data"] for e in webhook_events(app, "complaint.overdue")]
    assert [(n["level"], n["institution"], n["stage"]) for n in notices] == [
        ("opd_head", DLH, "triage"),
        ("inspektorat", DLH, "triage"),
    ]
    assert notices[0]["due_at"] == "2026-06-11T23:59:59.999999+07:00"
    assert notices[1]["working_days_late"] == 5
    assert "Inspektorat" in notices[1]["message"]["id"]


def test_a_report_found_late_tells_both_levels_in_order(app: FastAPI, report: Report) -> None:
    report(june(8, 10), TRIAGED_ONLY)
    assert check(app, june(24, 9)) == [("triage", "opd_head"), ("triage", "inspektorat")]
    assert check(app, june(25, 9)) == []


def test_each_stage_has_its_own_clock_and_escalation(app: FastAPI, report: Report) -> None:
    complaint_id = report(june(8, 10), TRIAGED_ONLY)
    assert check(app, june(12, 9)) == [("triage", "opd_head")]
    with app.state.sessionmaker.begin() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        from hub.complaints.updates import change_status

        change_status(session, complaint, Status.DISPATCHED, occurred_at=june(15, 8))
    # Respond within 5 working days of Monday 15th (not the 16th): by Tuesday 23rd.
    assert check(app, june(23, 20)) == []
    assert check(app, june(24, 9)) == [("acknowledgement", "opd_head")]


def test_reports_in_time_resolved_or_out_of_the_flow_are_left_alone(
    app: FastAPI, report: Report
) -> None:
    report(june(11, 10), TRIAGED_ONLY)  # due the 15th
    report(june(8, 10), TRIAGED_ONLY, (Status.REDIRECTED, june(8, 11)))
    report(
        june(8, 10),
        TRIAGED_ONLY,
        (Status.DISPATCHED, june(8, 11)),
        (Status.RESOLVED, june(9, 11)),
    )
    outcome = service.check(app.state.sessionmaker, now=june(15, 12))
    assert (outcome.overdue, outcome.escalations) == (0, [])


def test_per_category_working_days_come_from_the_policy(app: FastAPI, report: Report) -> None:
    flood = report(june(8, 10), TRIAGED_ONLY, category="banjir_drainase")
    report(june(8, 10), TRIAGED_ONLY)
    policy = SlaPolicy(categories={"banjir_drainase": {Stage.TRIAGE: 1}})
    outcome = service.check(app.state.sessionmaker, now=june(10, 9), policy=policy)
    assert [e["tracking_code"] for e in outcome.escalations] == [_code(app, flood)]


def _code(app: FastAPI, complaint_id: uuid.UUID) -> str:
    with app.state.sessionmaker() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        code: str = complaint.tracking_code
        return code


def _year(year: int, without: str | None = None) -> list[dict[str, Any]]:
    return [
        {"date": h.day.isoformat(), "kind": h.kind, "name_id": h.name_id, "name_en": h.name_en}
        for h in packaged_calendar().holidays.values()
        if h.day.year == year and h.day.isoformat() != without
    ]


def test_admins_edit_the_holidays_and_deadlines_follow(
    app: FastAPI, client: TestClient, login: Login, report: Report
) -> None:
    report(june(8, 10), TRIAGED_ONLY)
    assert check(app, june(12, 9)) == [("triage", "opd_head")]
    login(ADMIN)
    listed = client.get("/v1/admin/holidays?year=2026").json()
    assert {"date": "2026-06-16", "weekday": "tuesday"}.items() <= next(
        d for d in listed["days"] if d["date"] == "2026-06-16"
    ).items()
    assert 2026 in listed["years"]

    response = client.put(
        "/v1/admin/holidays", json={"year": 2026, "days": _year(2026, without="2026-06-16")}
    )
    assert response.status_code == 200, response.text
    assert "2026-06-16" not in [d["date"] for d in response.json()["days"]]
    # Without that holiday Thursday 18th is 5 working days late: the Inspektorat is told.
    assert check(app, june(18, 9)) == [("triage", "inspektorat")]
    again = client.get("/v1/admin/holidays").json()["days"]
    assert "2026-06-16" not in [d["date"] for d in again]
    assert any(d["date"].startswith("2027-") for d in again)  # other years untouched


@pytest.mark.parametrize(
    ("days", "detail"),
    [
        ([{"date": "2027-01-01", "name_id": "Tahun Baru"}], "outside 2026"),
        ([{"date": "2026-13-01", "name_id": "x"}], "YYYY-MM-DD"),
        ([{"date": "2026-06-16", "name_id": "x", "kind": "libur"}], "'kind'"),
        ([{"date": "2026-06-16", "name_id": "a"}, {"date": "2026-06-16", "name_id": "b"}], "twice"),
    ],
)
def test_bad_holidays_are_refused_and_nothing_changes(
    client: TestClient, login: Login, holidays: None, days: list[dict[str, Any]], detail: str
) -> None:
    login(ADMIN)
    before = client.get("/v1/admin/holidays?year=2026").json()
    response = client.put("/v1/admin/holidays", json={"year": 2026, "days": days})
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert client.get("/v1/admin/holidays?year=2026").json() == before


def test_only_admins_see_or_edit_the_holidays(client: TestClient, login: Login) -> None:
    assert client.get("/v1/admin/holidays").status_code == 401
    login(Principal(subject="s", kind="asn", opd=DLH, scopes=frozenset({"complaints:update"})))
    assert client.get("/v1/admin/holidays").status_code == 403
    assert client.put("/v1/admin/holidays", json={"year": 2026, "days": []}).status_code == 403


def test_the_complaint_view_shows_its_deadlines_to_full_audiences(
    app: FastAPI,
    client: TestClient,
    login: Login,
    report: Report,
    frozen: Callable[[datetime], None],
) -> None:
    complaint_id = report(june(8, 10), TRIAGED_ONLY)
    frozen(june(11, 12))
    login(ADMIN)
    level = client.get(f"/v1/complaints/{complaint_id}").json()["service_level"]
    assert (level["stage"], level["due_at"], level["overdue"], level["escalation"]) == (
        "triage",
        "2026-06-11T23:59:59.999999+07:00",
        False,
        "none",
    )
    assert [s["stage"] for s in level["stages"]] == ["triage"]

    frozen(june(12, 9))
    check(app, june(12, 9))
    view = client.get(f"/v1/complaints/{complaint_id}").json()
    assert (view["service_level"]["overdue"], view["service_level"]["escalation"]) == (
        True,
        "opd_head",
    )
    assert any(e["type"] == "complaint.escalated" for e in view["timeline"])

    login(None)
    public = client.get(f"/v1/complaints/{complaint_id}").json()
    assert "service_level" not in public
    assert all(e["type"] != "complaint.escalated" for e in public["timeline"])


def test_public_stats_count_overdue_reports_per_opd(
    app: FastAPI, client: TestClient, report: Report, frozen: Callable[[datetime], None]
) -> None:
    report(june(8, 10), TRIAGED_ONLY)
    report(june(9, 10), TRIAGED_ONLY)
    report(june(11, 10), TRIAGED_ONLY)  # due the 15th
    report(june(8, 10), TRIAGED_ONLY, institution="pu-kota-bandar-lampung")
    frozen(june(12, 9))
    stats = client.get("/v1/public/stats").json()
    assert stats["overdue_tracked"] is True
    overdue = {row["institution"]: row["overdue"] for row in stats["institutions"]}
    assert overdue == {DLH: 1, "pu-kota-bandar-lampung": 1}
    frozen(june(15, 9))
    overdue = {
        r["institution"]: r["overdue"]
        for r in client.get("/v1/public/stats").json()["institutions"]
    }
    assert overdue == {DLH: 2, "pu-kota-bandar-lampung": 1}


def test_open311_expected_datetime_is_the_resolution_deadline(
    client: TestClient, report: Report
) -> None:
    acknowledged = report(
        june(8, 10),
        TRIAGED_ONLY,
        (Status.DISPATCHED, june(8, 11)),
        (Status.ACKNOWLEDGED, june(9, 10)),
    )
    waiting = report(june(8, 10), TRIAGED_ONLY)

    def expected(complaint_id: uuid.UUID) -> Any:
        code = client.get(f"/v1/complaints/{complaint_id}").json()["tracking_code"]
        (request,) = client.get(f"/open311/v2/requests/{code}.json").json()
        return request["expected_datetime"]

    # Ten working days after Tuesday 9th, skipping the weekends and the 16th: Wednesday 24th.
    assert expected(acknowledged) == "2026-06-24T23:59:59+07:00"
    assert expected(waiting) is None  # no response yet: no resolution clock


def test_the_beat_runs_the_check(
    app: FastAPI, report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.delivery.celery_app import celery_app
    from hub.sla import tasks

    schedule = celery_app.conf.beat_schedule["sla-check"]
    assert schedule["task"] == "hub.sla.check" and "hub.sla.check" in celery_app.tasks
    report(june(8, 10), TRIAGED_ONLY)
    monkeypatch.setattr(tasks, "utcnow", lambda: june(12, 9))
    result = tasks.check.apply().get()
    assert (result["overdue"], result["escalated"]) == (1, 1)
    assert tasks.check.apply().get()["escalated"] == 0


def test_the_seed_fills_an_empty_calendar_once_and_keeps_admin_edits(app: FastAPI) -> None:
    from sqlalchemy import delete

    from hub.db import transaction
    from hub.sla.models import HolidayRow

    with transaction(app.state.sessionmaker) as session:
        session.execute(delete(HolidayRow))
        assert service.seed_holidays(session) == len(packaged_calendar().holidays)
        assert service.seed_holidays(session) == 0
        service.replace_year(session, 2026, [], actor="admin-1")
        assert service.seed_holidays(session) == 0  # the emptied year stays empty
        calendar = service.db_calendar(session)
    assert not any(day.year == 2026 for day in calendar.holidays)
    assert calendar.covers(datetime(2027, 1, 1).date())
