"""Acceptance: Open311 client libraries nobody here wrote work against /open311/v2 unchanged.

- civicbot (PyPI `civicbot`, its `Open311Client`) files a report, checking it first against our
  service list and service definition, as it does with any city;
- georeport (PyPI `georeport`) reads services and requests, in JSON and in XML (xmltodict).
Both talk to the hub over real HTTP (uvicorn on 127.0.0.1). What they see must be the report the
unified API shows, and a status change made in the hub must reach them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
import requests
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from fastapi import FastAPI
from georeport import GeoReport

from hub.complaints import service
from hub.db import transaction
from schemas.models import Status

JURISDICTION = "lampungprov.go.id"
PERSONAL = ["Rahmat", "Hidayat", "rahmat.h@example.id", "081377788899"]


def civicbot_client(live_url: str) -> Open311Client:
    endpoint = Endpoint(
        id="lampung-in", name="Lampung-In", base_url=f"{live_url}/open311/v2", write=True
    )
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0.0))
    return Open311Client(endpoint, transport=transport, jurisdiction_id=JURISDICTION)


def file_report(live_url: str, api_key: str, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "lat": -5.429361,
        "lng": 105.261742,
        "description": "Tumpukan sampah di depan pasar sudah dua minggu tidak diangkut, bau.",
        "first_name": "Rahmat",
        "last_name": "Hidayat",
        "email": "rahmat.h@example.id",
        "phone": "081377788899",
        "attributes": {"region": "kota-bandar-lampung", "privacy": "public"},
    }
    fields.update(extra)
    prepared = civicbot_client(live_url).create_request(
        "sampah_lingkungan",
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        validate_remote=True,  # fetches services.json and the service definition first
        **fields,
    )
    assert isinstance(prepared.response, list) and len(prepared.response) == 1
    answer: dict[str, Any] = prepared.response[0]
    return answer


def move(app: FastAPI, complaint_id: uuid.UUID, status: Status, **kwargs: Any) -> None:
    with transaction(app.state.sessionmaker) as session:
        complaint = service.get(session, complaint_id)
        assert complaint is not None
        service.set_status(session, complaint, status, **kwargs)


def same_instant(w3c: str, iso: str) -> bool:
    return datetime.fromisoformat(w3c) == datetime.fromisoformat(iso).replace(microsecond=0)


def test_a_client_library_files_a_report_and_reads_what_the_unified_api_shows(
    app: FastAPI, live_url: str, api_key: str
) -> None:
    answer = file_report(live_url, api_key)
    code, token = answer["service_request_id"], answer["token"]
    assert code.startswith("LPG-")
    assert code in answer["service_notice"]

    unified = httpx.get(f"{live_url}/v1/complaints/{token}").json()
    assert unified["tracking_code"] == code
    assert unified["channel"] == "open311"

    for fmt in ("json", "xml"):
        reader = GeoReport(f"{live_url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)
        seen = reader.get_service_request(code)
        assert seen["service_request_id"] == code
        assert seen["status"] == "open"
        assert seen["service_code"] == unified["category"] == "sampah_lingkungan"
        assert seen["service_name"] == "Sampah dan Lingkungan"
        assert seen["description"] == unified["description"]
        assert float(seen["lat"]) == unified["location"]["lat"] == -5.429
        assert float(seen["long"]) == unified["location"]["lon"] == 105.262
        assert same_instant(seen["requested_datetime"], unified["created_at"])
        assert seen["requested_datetime"].endswith("+07:00")
        assert seen["address"] == "Kota Bandar Lampung"
        assert not any(p in str(seen) for p in PERSONAL)

    assert civicbot_client(live_url).get_token(token) == [
        {"service_request_id": code, "token": token}
    ]


def test_status_changes_in_the_hub_reach_the_client_library(
    app: FastAPI, live_url: str, api_key: str
) -> None:
    answer = file_report(live_url, api_key)
    code, complaint_id = answer["service_request_id"], uuid.UUID(answer["token"])
    reader = GeoReport(f"{live_url}/open311/v2", jurisdiction=JURISDICTION, output_format="xml")
    before = reader.get_service_request(code)

    move(app, complaint_id, Status.TRIAGED, institution="dlh-kota-bandar-lampung")
    move(app, complaint_id, Status.DISPATCHED)
    move(app, complaint_id, Status.ACKNOWLEDGED, note="Laporan diterima petugas kebersihan.")
    acknowledged = reader.get_service_request(code)
    assert acknowledged["status"] == "open"
    assert acknowledged["status_notes"] == "Laporan diterima petugas kebersihan."
    assert acknowledged["agency_responsible"] == "Dinas Lingkungan Hidup Kota Bandar Lampung"
    assert acknowledged["service_notice"].startswith("Diproses (Being processed)")

    move(app, complaint_id, Status.RESOLVED, note="Sampah sudah diangkut, Pak Rahmat.")
    unified = httpx.get(f"{live_url}/v1/complaints/{complaint_id}").json()
    for fmt in ("json", "xml"):
        reader = GeoReport(f"{live_url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)
        resolved = reader.get_service_request(code)
        assert unified["status"] == "resolved"
        assert resolved["status"] == "closed"
        assert resolved["status_notes"] == "Sampah sudah diangkut, Pak [nama]."
        assert same_instant(resolved["updated_datetime"], unified["updated_at"])
        assert resolved["updated_datetime"] >= before["updated_datetime"]

    closed = GeoReport(f"{live_url}/open311/v2").get_service_requests(status="closed")
    assert [r["service_request_id"] for r in closed] == [code]
    assert GeoReport(f"{live_url}/open311/v2").get_service_requests(status="open") == []


def test_the_client_library_reads_services_definitions_and_filtered_lists(
    app: FastAPI, live_url: str, api_key: str
) -> None:
    first = file_report(live_url, api_key)["service_request_id"]
    second = file_report(
        live_url, api_key, description="Lampu jalan mati sepanjang Jl. Pagar Alam, gelap sekali."
    )["service_request_id"]
    for fmt in ("json", "xml"):
        reader = GeoReport(f"{live_url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)
        services = reader.get_service_list()
        codes = {s["service_code"] for s in services}
        assert {"sampah_lingkungan", "jalan_jembatan", "lainnya_luar_kewenangan"} <= codes
        definition = reader.get_service_definition("jalan_jembatan")
        assert definition["service_code"] == "jalan_jembatan"
        listed = reader.get_service_requests(service_code="sampah_lingkungan", status="open")
        rows = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [r["service_request_id"] for r in rows] == [second, first]  # newest first
        picked = reader.get_service_requests(service_request_id=first)
        picked = picked if isinstance(picked, list) else [picked]
        assert [r["service_request_id"] for r in picked] == [first]


def test_the_client_library_gets_the_spec_errors(live_url: str, api_key: str) -> None:
    with pytest.raises(HttpError) as refused:
        file_report(live_url, "not-a-key")
    assert refused.value.status == 403
    assert httpx.Response(403, content=refused.value.body).json() == [
        {"code": 403, "description": "Invalid or missing api_key."}
    ]
    unknown = GeoReport(f"{live_url}/open311/v2")
    with pytest.raises(requests.HTTPError, match="404"):
        unknown.get_service_definition("no_such_service")
    with pytest.raises(requests.HTTPError, match="404"):
        GeoReport(f"{live_url}/open311/v2", jurisdiction="jakarta.go.id").get_service_list()
