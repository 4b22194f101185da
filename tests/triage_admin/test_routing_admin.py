"""Admins manage the routing rules in force (API): versions, validation, audit, dry runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.complaints.models import Complaint
from hub.routing.models import RuleSetVersion
from hub.routing.rules import default_rules, dump_rules
from tests.conftest import ADMIN
from tests.triage_admin.conftest import ROADS_ONLY, staff

RULES = "/v1/admin/routing/rules"
PROBLEM = "application/problem+json"

Login = Callable[[Principal | None], None]


def versions(app: FastAPI) -> int:
    with app.state.sessionmaker() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(RuleSetVersion)) or 0)


def test_the_shipped_rules_are_in_force_until_an_admin_saves_a_set(
    client: TestClient, login: Login
) -> None:
    login(ADMIN)
    body = client.get(RULES).json()
    assert (body["version"], body["source"], body["created_by"]) == (0, "shipped", None)
    assert body["rules"] == dump_rules(default_rules())
    assert body["count"] == len(default_rules())


def test_saving_puts_a_new_version_in_force_and_records_who_and_when(
    client: TestClient, login: Login, app: FastAPI
) -> None:
    login(ADMIN)
    saved = client.put(RULES, json={"rules": ROADS_ONLY, "comment": "only roads for now"})
    assert saved.status_code == 201
    body = saved.json()
    assert (body["source"], body["changed"]) == ("database", True) and body["version"] >= 1
    assert body["created_by"] == ADMIN.subject and body["created_at"]
    assert body["comment"] == "only roads for now"
    shown = client.get(RULES).json()
    assert shown["version"] == body["version"]
    assert [r["id"] for r in shown["rules"]] == ["jalan-provinsi"]
    with app.state.sessionmaker() as session:
        row = session.scalars(sa.select(RuleSetVersion)).one()
        assert row.created_by == ADMIN.subject


def test_intake_routes_with_the_rules_in_force(
    client: TestClient, login: Login, file_report: Callable[..., dict[str, Any]]
) -> None:
    login(ADMIN)
    redirect_roads = [
        {
            "id": "jalan-nasional-semua",
            "action": "redirect",
            "categories": ["jalan_jembatan"],
            "institution": ["bpjn-lampung"],
            "message": {"id": "Jalan nasional: {institution}.", "en": "National road."},
        }
    ]
    assert client.put(RULES, json={"rules": redirect_roads}).status_code == 201
    report = file_report(
        category="jalan_jembatan", title="Jalan berlubang", description="Jalan rusak parah."
    )
    assert (report["status"], report["institution"]) == ("redirected", "bpjn-lampung")


def test_an_invalid_rule_set_is_a_422_listing_every_problem_and_nothing_is_saved(
    client: TestClient, login: Login, app: FastAPI
) -> None:
    login(ADMIN)
    bad = [
        {"id": "ok", "categories": ["jalan_jembatan"], "institution": ["bmbk-prov"]},
        {"id": "a", "institution": ["nowhere"]},
        {"id": "b", "categories": ["x"], "institution": ["bmbk-prov"], "colour": "red"},
        "not a rule",
    ]
    response = client.put(RULES, json={"rules": bad})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    errors = response.json()["errors"]
    assert {(e["pointer"], e["detail"]) for e in errors} == {
        ("/rules/1", "rule 'a': unknown institution 'nowhere'"),
        ("/rules/2", "rule 'b': unknown field 'colour'"),
        ("/rules/2", "rule 'b': unknown category 'x'"),
        ("/rules/3", "rule #3: must be an object"),
    }
    assert versions(app) == 0


def test_saving_the_rules_already_in_force_adds_no_version(
    client: TestClient, login: Login, app: FastAPI
) -> None:
    login(ADMIN)
    first = client.put(RULES, json={"rules": ROADS_ONLY})
    assert first.status_code == 201
    again = client.put(RULES, json={"rules": ROADS_ONLY})
    assert again.status_code == 200
    assert (again.json()["version"], again.json()["changed"]) == (first.json()["version"], False)
    assert versions(app) == 1


def test_an_edit_based_on_an_old_version_is_refused_with_409(
    client: TestClient, login: Login, app: FastAPI
) -> None:
    login(ADMIN)
    first = client.put(RULES, json={"rules": ROADS_ONLY, "base_version": 0})
    assert first.status_code == 201
    saved = first.json()["version"]
    other = [dict(ROADS_ONLY[0], priority=700)]
    late = client.put(RULES, json={"rules": other, "base_version": 0})
    assert late.status_code == 409
    assert late.headers["content-type"] == PROBLEM
    assert late.json()["current_version"] == saved
    assert client.put(RULES, json={"rules": other, "base_version": saved}).status_code == 201
    assert versions(app) == 2


def test_versions_are_listed_newest_first_with_the_active_one_marked(
    client: TestClient, login: Login
) -> None:
    login(ADMIN)
    saved = []
    for priority in (600, 700, 800):
        rules = [dict(ROADS_ONLY[0], priority=priority)]
        saved.append(client.put(RULES, json={"rules": rules}).json()["version"])
    first, second, third = saved
    assert first < second < third
    page = client.get(RULES + "/versions", params={"limit": 2}).json()
    assert [(i["version"], i["active"]) for i in page["items"]] == [(third, True), (second, False)]
    assert "rules" not in page["items"][0] and page["active_version"] == third
    rest = client.get(
        RULES + "/versions", params={"before": page["next_before"], "include_rules": True}
    ).json()
    assert [i["version"] for i in rest["items"]] == [first]
    assert rest["items"][0]["rules"][0]["priority"] == 600
    assert rest["next_before"] is None


def test_preview_shows_the_decision_and_the_rule_that_matched_and_changes_nothing(
    client: TestClient, login: Login, app: FastAPI
) -> None:
    login(ADMIN)
    facts = {"text": "motor saya dicuri", "category": "kriminal_keamanan",
             "region": "kota-bandar-lampung"}  # fmt: skip
    body = client.post("/v1/admin/routing/preview", json=facts).json()
    routing = body["assessment"]["routing"]
    assert (routing["action"], routing["institution"], routing["rule_id"]) == (
        "redirect",
        "polresta-bandar-lampung",
        "polisi-bandar-lampung",
    )
    assert body["rule"]["id"] == "polisi-bandar-lampung" and body["rules_version"] == 0
    with app.state.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
    assert versions(app) == 0


def test_preview_asks_the_classifier_when_no_category_is_given(
    client: TestClient, login: Login
) -> None:
    login(ADMIN)
    text = "Sampah menumpuk dan bau di pinggir jalan Teuku Umar, Bandar Lampung"
    body = client.post("/v1/admin/routing/preview", json={"text": text}).json()
    assessment = body["assessment"]
    assert assessment["category_source"] == "classifier"
    assert assessment["prediction"]["category"] == assessment["category"] == "sampah_lingkungan"
    assert assessment["routing"]["region"] == "kota-bandar-lampung"  # inferred from the text


def test_preview_can_try_a_candidate_rule_set_before_it_is_saved(
    client: TestClient, login: Login
) -> None:
    login(ADMIN)
    facts = {"category": "sampah_lingkungan", "region": "kota-bandar-lampung"}
    body = client.post("/v1/admin/routing/preview", json={**facts, "rules": ROADS_ONLY}).json()
    assert body["assessment"]["routing"]["action"] == "manual"
    assert body["rules_version"] is None and body["rule"] is None
    bad = client.post("/v1/admin/routing/preview", json={**facts, "rules": [{"id": "x"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"pointer": "/rules/0", "detail": "rule 'x': 'institution' is required"}
    ]


def test_preview_refuses_unknown_codes_and_empty_facts(client: TestClient, login: Login) -> None:
    login(ADMIN)
    region = client.post(
        "/v1/admin/routing/preview", json={"category": "jalan_jembatan", "region": "atlantis"}
    )
    assert region.status_code == 422 and region.json()["errors"][0]["pointer"] == "/region"
    category = client.post("/v1/admin/routing/preview", json={"category": "alien"})
    assert category.status_code == 422 and category.json()["errors"][0]["pointer"] == "/category"
    empty = client.post("/v1/admin/routing/preview", json={"text": "  "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["pointer"] == "/text"


def test_only_hub_admins_manage_rules(client: TestClient, login: Login) -> None:
    calls = [
        ("GET", RULES, None),
        ("PUT", RULES, {"rules": ROADS_ONLY}),
        ("GET", RULES + "/versions", None),
        ("POST", "/v1/admin/routing/preview", {"category": "jalan_jembatan"}),
    ]
    for method, path, body in calls:
        login(None)
        assert client.request(method, path, json=body).status_code == 401, (method, path)
        login(staff("bmbk-prov"))
        forbidden = client.request(method, path, json=body)
        assert forbidden.status_code == 403, (method, path)
        assert forbidden.headers["content-type"] == PROBLEM


def test_two_saves_from_the_same_version_at_once_cannot_both_win(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second admin read version 0 before the first one's save committed."""
    from hub.routing import admin

    rules = dump_rules(default_rules())
    with app.state.sessionmaker() as session, session.begin():
        first, _ = admin.save(session, rules[:-1], actor="admin-a")
    shipped = admin.ActiveRules(admin.SHIPPED, default_rules())
    monkeypatch.setattr(admin, "active", lambda session: shipped)  # a stale read
    with (
        app.state.sessionmaker() as session,
        session.begin(),
        pytest.raises(admin.StaleVersion),
    ):
        admin.save(session, rules[:-2], actor="admin-b")
    with app.state.sessionmaker() as session:
        versions = session.scalars(sa.select(RuleSetVersion.version)).all()
    assert versions == [first.version]
