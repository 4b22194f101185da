"""GeoReport v2 as the spec has it: resources in JSON and XML, filters, errors, privacy."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.complaints import service
from hub.db import transaction, utcnow
from hub.open311 import keys
from hub.open311 import service as open311_service
from schemas.models import Status
from tests.open311.helpers import errors, parse_xml, records

V2 = "/open311/v2"


def form(api_key: str | None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_key": api_key,
        "jurisdiction_id": "lampungprov.go.id",
        "service_code": "jalan_jembatan",
        "lat": "-5.3822",
        "long": "105.2581",
        "description": "Jalan berlubang besar di depan SMA, membahayakan pengendara motor.",
        "first_name": "Dewi",
        "last_name": "Lestari",
        "email": "dewi.lestari@example.id",
        "phone": "+6285266677788",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file(client: TestClient, api_key: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(f"{V2}/requests.json", data=form(api_key, **overrides))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()[0]
    return answer


def test_discovery_names_the_endpoint_and_its_formats(client: TestClient) -> None:
    body = client.get(f"{V2}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = parse_xml(client.get(f"{V2}/discovery.xml").content, "discovery")
    assert [f.text for f in xml.iter("format")] == ["text/xml", "application/json"]


def test_services_are_our_categories_with_indonesian_names(client: TestClient) -> None:
    response = client.get(f"{V2}/services.json")
    assert response.headers["content-type"].startswith("application/json")
    services = {s["service_code"]: s for s in response.json()}
    assert len(services) == 15
    road = services["jalan_jembatan"]
    assert road["service_name"] == "Jalan dan Jembatan"
    assert road["type"] == "realtime"
    assert road["metadata"] is True  # every service has attributes (privacy, region, title)
    assert road["group"] == "Infrastruktur"
    assert "berlubang" in road["keywords"]
    xml = client.get(f"{V2}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    rows = records(xml.content, "services", "service")
    assert {r["service_code"] for r in rows} == set(services)
    assert {r["metadata"] for r in rows} == {"true"}


def test_a_service_definition_lists_its_attributes(client: TestClient) -> None:
    definition = client.get(f"{V2}/services/sampah_lingkungan.json").json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert set(attributes) == {"privacy", "region", "title"}
    privacy = attributes["privacy"]
    assert privacy["datatype"] == "singlevaluelist" and privacy["required"] is False
    assert {v["key"] for v in privacy["values"]} == {"public", "anonymous", "confidential"}
    regions = {v["key"] for v in attributes["region"]["values"]}
    assert "kota-bandar-lampung" in regions and "dlh-prov" not in regions
    xml = parse_xml(
        client.get(f"{V2}/services/sampah_lingkungan.xml").content, "service_definition"
    )
    assert [a.findtext("code") for a in xml.iter("attribute")] == ["privacy", "region", "title"]
    assert len(list(xml.find("attributes/attribute/values").iter("value"))) == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_services_requests_and_jurisdictions_are_404(client: TestClient, fmt: str) -> None:
    for path in (
        f"{V2}/services/parkir_liar.{fmt}",
        f"{V2}/requests/LPG-2026-999999.{fmt}",
        f"{V2}/tokens/{uuid.uuid4()}.{fmt}",
        f"{V2}/tokens/not-a-token.{fmt}",
        f"{V2}/services.{fmt}?jurisdiction_id=jakarta.go.id",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        found = response.json() if fmt == "json" else errors(response.content)
        assert [str(e["code"]) for e in found] == ["404"]
        assert found[0]["description"]


def test_the_jurisdiction_is_accepted_and_an_unknown_format_is_400(client: TestClient) -> None:
    assert client.get(f"{V2}/services.json?jurisdiction_id=lampungprov.go.id").status_code == 200
    response = client.get(f"{V2}/services.yaml")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_filing_needs_a_valid_api_key(client: TestClient, app: FastAPI, api_key: str) -> None:
    for bad in (None, "o311_guessed"):
        response = client.post(f"{V2}/requests.xml", data=form(bad))
        assert response.status_code == 403
        assert errors(response.content) == [
            {"code": "403", "description": "Invalid or missing api_key."}
        ]
    with transaction(app.state.sessionmaker) as session:
        row = keys.verify(session, api_key)
        assert row is not None
        keys.revoke(session, row.id)
    assert client.post(f"{V2}/requests.json", data=form(api_key)).status_code == 403


def test_bad_reports_are_400_with_every_problem_listed(client: TestClient, api_key: str) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"service_code": None}, ["service_code is required."]),
        ({"lat": None, "long": None}, ["A location is required"]),
        ({"long": None}, ["lat and long must be given together.", "A location is required"]),
        ({"lat": "utara"}, ["lat must be a decimal number"]),
        ({"lat": "-95"}, ["lat must lie between -90 and 90."]),
        ({"description": "rusak"}, ["description is required"]),
        ({"phone": "nomor saya"}, ["phone:"]),
        ({"attribute[privacy]": "semi"}, ["attribute[privacy] must be one of"]),
        ({"attribute[region]": "kab-jakarta"}, ["attribute[region]: unknown region"]),
        ({"attribute[warna]": "merah"}, ["Unknown attribute 'warna'."]),
        ({"colour": "red"}, ["Unknown field 'colour'."]),
    ]
    for overrides, expected in cases:
        response = client.post(f"{V2}/requests.json", data=form(api_key, **overrides))
        assert response.status_code == 400, (overrides, response.text)
        described = [e["description"] for e in response.json()]
        assert len(described) == len(expected), described
        for got, want in zip(described, expected, strict=True):
            assert got.startswith(want), (got, want)
    unknown = client.post(f"{V2}/requests.json", data=form(api_key, service_code="parkir"))
    assert unknown.status_code == 404
    as_json = client.post(f"{V2}/requests.json", json=form(api_key))
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in as_json.json()[0]["description"]


def test_a_filed_report_is_an_open311_complaint_with_its_contact_kept_private(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    answer = file(
        client,
        api_key,
        **{"attribute[region]": "kota-metro", "attribute[title]": "Jalan berlubang"},
    )
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    with transaction(app.state.sessionmaker) as session:
        complaint = service.by_tracking_code(session, answer["service_request_id"])
        assert complaint is not None
        assert str(complaint.id) == answer["token"]
        assert complaint.channel == "open311"
        assert complaint.title == "Jalan berlubang"
        assert complaint.category == "jalan_jembatan"
        assert complaint.region == "kota-metro"
        assert complaint.contact == {
            "name": "Dewi Lestari",
            "phone": "+6285266677788",
            "email": "dewi.lestari@example.id",
        }
        # routed in the intake transaction like any channel: a city road goes to the city
        assert (complaint.status, complaint.institution) == ("triaged", "kota-metro")
        assert [e.type for e in complaint.events] == [
            "complaint.created",
            "complaint.status_changed",
            "complaint.inbox",
        ]
    shown = client.get(f"{V2}/requests/{answer['service_request_id']}.json").text
    for personal in ("Dewi", "Lestari", "dewi.lestari@example.id", "85266677788"):
        assert personal not in shown


def test_a_location_may_be_an_address_string_or_an_address_id(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    by_address = file(client, api_key, lat=None, long=None, address_string="Jl. Kenanga No. 5")
    by_id = file(client, api_key, lat=None, long=None, address_id="PERSIL-0042")
    with transaction(app.state.sessionmaker) as session:
        one = service.by_tracking_code(session, by_address["service_request_id"])
        two = service.by_tracking_code(session, by_id["service_request_id"])
        assert one is not None and two is not None
        assert one.location == {**(one.location or {}), "address": "Jl. Kenanga No. 5"}
        assert (two.location or {})["address"] == "address_id:PERSIL-0042"
    shown = client.get(f"{V2}/requests/{by_address['service_request_id']}.json").json()[0]
    assert shown["address"] is None  # the reporter's exact address is never published
    assert shown["lat"] is None and shown["long"] is None


def test_the_title_is_taken_from_the_description_when_not_given(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    answer = file(client, api_key, description="Jembatan gantung putus. Warga tidak bisa lewat.")
    with transaction(app.state.sessionmaker) as session:
        complaint = service.by_tracking_code(session, answer["service_request_id"])
        assert complaint is not None and complaint.title == "Jembatan gantung putus."


def test_confidential_reports_are_filed_but_never_listed(client: TestClient, api_key: str) -> None:
    secret = file(client, api_key, **{"attribute[privacy]": "confidential"})
    public = file(client, api_key)
    listed = [r["service_request_id"] for r in client.get(f"{V2}/requests.json").json()]
    assert listed == [public["service_request_id"]]
    code = secret["service_request_id"]
    assert client.get(f"{V2}/requests/{code}.json").status_code == 404
    assert client.get(f"{V2}/requests.json?service_request_id={code}").json() == []
    # The filer keeps a way to learn its tracking code, and nothing more.
    token = client.get(f"{V2}/tokens/{secret['token']}.json").json()
    assert token == [{"service_request_id": code, "token": secret["token"]}]


def backdate(app: FastAPI, code: str, days: int) -> None:
    with transaction(app.state.sessionmaker) as session:
        complaint = service.by_tracking_code(session, code)
        assert complaint is not None
        complaint.created_at = utcnow() - timedelta(days=days)


def codes(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"{V2}/requests.json{query}")
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def test_requests_default_to_the_last_90_days_and_filter_by_date(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    recent = file(client, api_key)["service_request_id"]
    old = file(client, api_key)["service_request_id"]
    backdate(app, old, 120)
    assert codes(client) == [recent]
    start = (utcnow() - timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert codes(client, f"?start_date={start}&end_date={end}") == [old]
    assert codes(client, f"?start_date={start}") == [old]  # start + 90 days
    naive = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert codes(client, f"?start_date={naive}") == [recent]  # read as WIB
    assert codes(client, f"?service_request_id={old},{recent},LPG-2000-000001") == [recent, old]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "more than 90 days"),
        ("?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "before start_date"),
        ("?start_date=kemarin", "start_date must be a W3C datetime"),
        ("?status=pending", "status must be open or closed"),
    ],
)
def test_bad_request_filters_are_400(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"{V2}/requests.xml{query}")
    assert response.status_code == 400
    assert message in (errors(response.content)[0]["description"] or "")


def test_requests_filter_by_service_and_status(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    road = file(client, api_key)["service_request_id"]
    water = file(client, api_key, service_code="air_bersih")["service_request_id"]
    rubbish = file(client, api_key, service_code="sampah_lingkungan")["service_request_id"]
    with transaction(app.state.sessionmaker) as session:
        complaint = service.by_tracking_code(session, water)
        assert complaint is not None
        service.set_status(session, complaint, Status.REJECTED, note="Bukan kewenangan.")
    assert codes(client, "?service_code=jalan_jembatan,air_bersih") == [water, road]
    assert codes(client, "?status=closed") == [water]
    assert codes(client, "?status=open") == [rubbish, road]
    assert codes(client, "?status=open,closed") == [rubbish, water, road]


def test_at_most_the_limit_of_requests_is_returned(
    client: TestClient, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = [file(client, api_key)["service_request_id"] for _ in range(3)]
    monkeypatch.setattr(open311_service, "MAX_REQUESTS", 2)
    assert codes(client) == filed[::-1][:2]
    too_many = ",".join(filed)
    assert client.get(f"{V2}/requests.json?service_request_id={too_many}").status_code == 400


def test_a_redirected_report_is_closed_with_the_referral_in_status_notes(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    code = file(
        client,
        api_key,
        service_code="kriminal_keamanan",
        description="Sepeda motor saya dicuri di parkiran pasar tadi malam.",
    )["service_request_id"]
    shown = records(client.get(f"{V2}/requests/{code}.xml").content, "service_requests", "request")
    assert shown[0]["status"] == "closed"  # redirected to the police by the routing rules
    assert shown[0]["agency_responsible"] == "Kepolisian Daerah Lampung"
    notes = shown[0]["status_notes"] or ""
    assert notes.startswith("Laporan tindak pidana seperti pencurian")
    assert "SPKT Kepolisian Daerah Lampung" in notes and "110" in notes


def test_xml_stays_well_formed_whatever_citizens_type(
    client: TestClient, app: FastAPI, api_key: str
) -> None:
    nasty = "Got <b>&amp;</b> ]]> \x01 \"quotes\" & 'apos' </request><request> end of text"
    code = file(client, api_key, description=nasty)["service_request_id"]
    rows = records(client.get(f"{V2}/requests/{code}.xml").content, "service_requests", "request")
    assert len(rows) == 1
    assert rows[0]["description"] == nasty.replace("\x01", "")


def test_every_request_carries_the_spec_fields(client: TestClient, api_key: str) -> None:
    code = file(client, api_key)["service_request_id"]
    row = client.get(f"{V2}/requests/{code}.json").json()[0]
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip
    assert row["requested_datetime"].endswith("+07:00")
    assert (row["lat"], row["long"]) == (-5.382, 105.258)
    assert row["media_url"] is None  # photos are published only after review


def test_api_keys_are_stored_as_digests_only(app: FastAPI) -> None:
    with transaction(app.state.sessionmaker) as session:
        issued = keys.issue(session, "Mitra")
        row = keys.listing(session)[-1]
        assert issued.key.startswith("o311_") and len(issued.key) > 40
        assert row.key_hash == keys.digest(issued.key) != issued.key
        assert issued.key not in {row.name, row.prefix, row.key_hash}
        with pytest.raises(ValueError, match="unknown"):
            keys.issue(session, "Mitra", channel="pigeon")
        assert keys.verify(session, issued.key) is row
        assert row.last_used_at is not None


def test_a_complaint_without_category_has_no_service(client: TestClient, app: FastAPI) -> None:
    response = client.post(
        "/v1/complaints",
        json={"title": "Tanpa kategori", "description": "Laporan tanpa kategori apa pun."},
    )
    code = response.json()["tracking_code"]
    row = client.get(f"{V2}/requests/{code}.json").json()[0]
    assert row["service_code"] is None and row["service_name"] is None


def test_an_unverifiable_bearer_token_is_refused_the_open311_way(client: TestClient) -> None:
    response = client.get(f"{V2}/services.xml", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 403
    assert errors(response.content)[0]["code"] == "403"


def test_filing_in_xml_answers_in_xml(client: TestClient, api_key: str) -> None:
    response = client.post(f"{V2}/requests.xml", data=form(api_key))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    (row,) = records(response.content, "service_requests", "request")
    assert row["service_request_id"] and row["service_request_id"].startswith("LPG-")
    assert row["token"] and row["service_notice"] and row["account_id"] is None
    token = client.get(f"{V2}/tokens/{row['token']}.xml")
    assert records(token.content, "service_requests", "request") == [
        {"service_request_id": row["service_request_id"], "token": row["token"]}
    ]
