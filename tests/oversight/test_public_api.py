"""The public feed, stats and Atom feed in the unified API, and the /publik page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.db import utcnow
from schemas.models import Status
from tests.oversight.helpers import move, report

ATOM = "{http://www.w3.org/2005/Atom}"
PROVINCIAL_ROAD = {
    "category": "jalan_jembatan",
    "title": "Jalan provinsi rusak",
    "description": "Jalan provinsi ruas Gunung Sugih berlubang besar.",
    "location": {"lat": -4.95, "lon": 105.21, "region": "kab-lampung-tengah"},
}
UNCLEAR = {"category": None, "title": "Tolong pak", "description": "Tolong dibantu ya pak."}


def test_the_feed_lists_public_reports_newest_first_with_names(client: TestClient) -> None:
    first = report(client)
    second = report(client, category="jalan_jembatan", title="Jalan berlubang")
    report(client, privacy="confidential", title="Pungli di sekolah")
    page = client.get("/v1/public/complaints").json()
    assert [i["tracking_code"] for i in page["items"]] == [
        second["tracking_code"],
        first["tracking_code"],
    ]
    item = page["items"][0]
    assert item["category_name"] == {"id": "Jalan dan Jembatan", "en": "Roads and bridges"}
    assert item["region_name"] == "Kota Bandar Lampung"
    assert item["status_label"] == {"id": "Diverifikasi", "en": "Triaged"}  # routed at intake
    assert item["institution"] == "pu-kota-bandar-lampung"
    assert item["location"]["lat"] == -5.397


def test_the_feed_filters_by_category_opd_region_and_paginates(
    client: TestClient, app: FastAPI
) -> None:
    road = report(client, category="jalan_jembatan")
    metro = report(client, location={"region": "kota-metro"})
    rubbish = report(client)
    move(app, rubbish["id"], (Status.DISPATCHED, None))

    def codes(query: str) -> list[str]:
        return [
            i["tracking_code"] for i in client.get(f"/v1/public/complaints?{query}").json()["items"]
        ]

    assert codes("category=jalan_jembatan") == [road["tracking_code"]]
    assert codes("region=kota-metro") == [metro["tracking_code"]]
    assert codes("institution=dlh-kota-bandar-lampung") == [rubbish["tracking_code"]]
    assert codes("status=dispatched") == [rubbish["tracking_code"]]
    assert codes("status=triaged") == [metro["tracking_code"], road["tracking_code"]]

    page = client.get("/v1/public/complaints?limit=2").json()
    rest = client.get(f"/v1/public/complaints?limit=2&cursor={page['next_cursor']}").json()
    assert [i["tracking_code"] for i in page["items"] + rest["items"]] == [
        rubbish["tracking_code"],
        metro["tracking_code"],
        road["tracking_code"],
    ]
    assert rest["next_cursor"] is None


def test_one_public_report_has_its_public_timeline(client: TestClient, app: FastAPI) -> None:
    created = report(client)
    move(app, created["id"], (Status.DISPATCHED, None), note="Diteruskan ke DLH.")
    data = client.get(f"/v1/public/complaints/{created['tracking_code']}").json()
    # triaged by the hub at intake; the staff-only OPD-inbox entry is not shown
    assert [e["status"] for e in data["timeline"]] == ["received", "triaged", "dispatched"]
    assert "complaint.inbox" not in {e["type"] for e in data["timeline"]}
    assert data["timeline"][-1]["note"] == "Diteruskan ke DLH."
    assert "actor" not in data["timeline"][-1] and "internal_note" not in data["timeline"][-1]
    assert data["institution_name"] == "Dinas Lingkungan Hidup Kota Bandar Lampung"
    secret = report(client, privacy="confidential")
    assert client.get(f"/v1/public/complaints/{secret['tracking_code']}").status_code == 404
    assert client.get("/v1/public/complaints/LPG-2026-999999").status_code == 404


def test_stats_per_opd_count_and_time_the_handling(client: TestClient, app: FastAPI) -> None:
    t0 = utcnow()
    fast, slow = report(client), report(client)  # both routed to the city's DLH at intake
    opd = "dlh-kota-bandar-lampung"
    move(app, fast["id"], (Status.DISPATCHED, t0 + timedelta(hours=2)),
         (Status.ACKNOWLEDGED, t0 + timedelta(hours=4)),
         (Status.RESOLVED, t0 + timedelta(hours=10)))  # fmt: skip
    move(app, slow["id"], (Status.DISPATCHED, t0 + timedelta(hours=2)),
         (Status.IN_PROGRESS, t0 + timedelta(hours=8)),
         (Status.RESOLVED, t0 + timedelta(hours=30)))  # fmt: skip
    report(client, **PROVINCIAL_ROAD)  # routed to Bina Marga, still open
    # unclear, so it waits for a person (no institution); counted, never listed
    report(client, privacy="confidential", **UNCLEAR)

    stats = client.get("/v1/public/stats").json()
    assert stats["overdue_tracked"] is True  # service levels count overdue reports
    rows = {r["institution"]: r for r in stats["institutions"]}
    dlh = rows[opd]
    assert dlh["institution_name"] == "Dinas Lingkungan Hidup Kota Bandar Lampung"
    assert (dlh["received"], dlh["in_progress"], dlh["resolved"]) == (2, 0, 2)
    assert dlh["median_first_response_hours"] == 4.0  # median of 2 h and 6 h
    assert dlh["median_resolution_hours"] == 20.0  # from receipt: about 10 h and 30 h
    assert dlh["overdue"] == 0
    assert rows["bmbk-prov"]["in_progress"] == 1
    assert rows[None]["received"] == 1


def test_overdue_counts_come_from_a_pluggable_counter(client: TestClient, app: FastAPI) -> None:
    created = report(client, **PROVINCIAL_ROAD)
    assert created["institution"] == "bmbk-prov"

    def counter(session: Session, institutions: object) -> dict[str | None, int]:
        return {"bmbk-prov": 3}

    app.state.overdue_counter = counter
    stats = client.get("/v1/public/stats").json()
    assert stats["overdue_tracked"] is True
    assert stats["institutions"][0]["overdue"] == 3
    page = client.get("/publik").text
    assert "Batas waktu layanan belum diberlakukan" not in page


def test_stats_need_aware_datetimes(client: TestClient) -> None:
    response = client.get("/v1/public/stats?created_from=2026-01-01T00:00:00")
    assert response.status_code == 422
    assert client.get("/v1/public/stats?created_from=2026-01-01T00:00:00Z").status_code == 200


def test_the_atom_feed_lists_new_public_reports(client: TestClient) -> None:
    shown = report(client, title="Drainase tersumbat <parah> & banjir")
    report(client, privacy="confidential", title="Rahasia sekali")
    response = client.get("/v1/public/complaints.atom?category=sampah_lingkungan")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        f"{shown['tracking_code']}: Drainase tersumbat <parah> & banjir"
    ]
    link = entries[0].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith(f"/publik/laporan/{shown['tracking_code']}")
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href", "").endswith(
        "?category=sampah_lingkungan"
    )


def test_the_page_lists_reports_and_performance_in_indonesian_or_english(
    client: TestClient, app: FastAPI
) -> None:
    created = report(client, title="Lampu jalan mati di Way Halim")
    move(app, created["id"], (Status.TRIAGED, None), institution="dlh-kota-bandar-lampung")
    page = client.get("/publik")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="id">' in html
    assert "Lampu jalan mati di Way Halim" in html
    assert "Kinerja OPD" in html and "Dinas Lingkungan Hidup Kota Bandar Lampung" in html
    assert "Batas waktu layanan belum diberlakukan" not in html  # service levels are on
    assert 'href="/publik?lang=en"' in html
    english = client.get("/publik?lang=en").text
    assert '<html lang="en">' in english
    assert "Agency performance" in english and "Verified" not in english
    assert "Triaged" in english
    assert client.get("/publik?lang=xx").text.startswith('<!doctype html>\n<html lang="id">')
    filtered = client.get("/publik?category=jalan_jembatan").text
    assert "Lampu jalan mati di Way Halim" not in filtered
    assert 'option value="jalan_jembatan" selected' in filtered


def test_the_report_page_shows_a_public_report_and_404s_otherwise(client: TestClient) -> None:
    created = report(client)
    page = client.get(f"/publik/laporan/{created['tracking_code']}?lang=en")
    assert page.status_code == 200 and "Handling history" in page.text
    secret = report(client, privacy="confidential")
    hidden = client.get(f"/publik/laporan/{secret['tracking_code']}")
    assert hidden.status_code == 404
    assert "Laporan tidak ditemukan atau tidak publik." in hidden.text


def test_the_page_paginates_without_javascript(client: TestClient) -> None:
    created = [report(client) for _ in range(21)]
    html = client.get("/publik").text
    assert "<script" not in html
    assert created[0]["tracking_code"] not in html  # the oldest is on page two
    start = html.index('rel="next"')
    href = html[
        html.rindex('href="', 0, start) + 6 : html.index('"', html.rindex('href="', 0, start) + 6)
    ]
    second = client.get(href.replace("&amp;", "&")).text
    assert created[0]["tracking_code"] in second
    assert "Kembali ke awal" in second
