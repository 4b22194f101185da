"""No public endpoint or page ever shows a reporter's personal data (UU 27/2022).

Reports are filed with names, phone numbers, e-mails, NIK and home addresses in their contact
details *and* typed into their text and notes, through the unified API and through Open311,
public, anonymous and confidential. Then every public surface is read, in every format and
language, and none of that may appear; nor anything of a confidential report.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.db import transaction
from hub.open311 import keys
from schemas.models import Status
from tests.oversight.helpers import move, report

PERSONAL = [
    "Siti Aminah",
    "Siti",
    "Aminah",
    "siti.aminah@example.id",
    "081234567890",
    "0812-3456-7890",
    "3456",
    "1871012345678901",
    "1871 0123 4567 8901",
    "Teuku Umar No. 12",
    "No. 12",
    "Bambang Sutrisno",
    "Bambang",
    "Sutrisno",
    "bambang@contoh.id",
    "6285299988877",
    "Kenanga No. 7",
    "Dewi Lestari",
    "Lestari",
    "dewi.l@example.id",
    "082199900011",
    "Melati No. 3",
    "sub-citizen-1",
]
CONFIDENTIAL_MARKERS = ["Pungutan liar SMA", "Kepala sekolah meminta uang"]


def file_reports(client: TestClient, app: FastAPI) -> list[str]:
    public = report(
        client,
        title="Sampah di depan rumah Siti Aminah",
        description=(
            "Nama saya Siti Aminah, NIK 1871012345678901 (KTP 1871 0123 4567 8901), "
            "HP 081234567890 / 0812-3456-7890, e-mail siti.aminah@example.id. Sampah menumpuk "
            "di depan rumah saya di Jl. Teuku Umar No. 12."
        ),
        contact={
            "name": "Siti Aminah",
            "phone": "+6281234567890",
            "email": "siti.aminah@example.id",
        },
        location={
            "lat": -5.39712,
            "lon": 105.26681,
            "address": "Jl. Teuku Umar No. 12",
            "region": "kota-bandar-lampung",
            "kecamatan": "Kedaton",
        },
    )
    move(
        app,
        public["id"],
        (Status.TRIAGED, None),
        (Status.DISPATCHED, None),
        (Status.ACKNOWLEDGED, None),
        institution="dlh-kota-bandar-lampung",
        note="Petugas sudah menghubungi Ibu Siti Aminah di 081234567890.",
    )
    anonymous = report(
        client,
        privacy="anonymous",
        category="jalan_jembatan",
        title="Jalan rusak dekat rumah Bambang",
        description=(
            "Saya Bambang Sutrisno (bambang@contoh.id, +62 852 9998 8877), Jl. Kenanga No. 7."
        ),
        contact={
            "name": "Bambang Sutrisno",
            "phone": "+6285299988877",
            "email": "bambang@contoh.id",
        },
        location={"address": "Jl. Kenanga No. 7", "region": "kota-metro"},
    )
    move(app, anonymous["id"], (Status.REDIRECTED, None), institution="bpjn-lampung",
         note="Jalan nasional; Pak Bambang kami arahkan ke BPJN.")  # fmt: skip
    report(
        client,
        privacy="confidential",
        title="Pungutan liar SMA",
        description=(
            "Kepala sekolah meminta uang. Saya Dewi Lestari, dewi.l@example.id, 082199900011."
        ),
        contact={"name": "Dewi Lestari", "phone": "082199900011", "email": "dewi.l@example.id"},
        location={"address": "Jl. Melati No. 3", "region": "kota-bandar-lampung"},
    )
    with transaction(app.state.sessionmaker) as session:
        key = keys.issue(session, "Aplikasi uji").key
    filed = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "air_bersih",
            "address_string": "Jl. Melati No. 3",
            "description": "Air mati. Hubungi Dewi Lestari 082199900011 atau dewi.l@example.id.",
            "first_name": "Dewi",
            "last_name": "Lestari",
            "email": "dewi.l@example.id",
            "phone": "082199900011",
        },
    )
    assert filed.status_code == 200
    return [
        public["tracking_code"],
        anonymous["tracking_code"],
        filed.json()[0]["service_request_id"],
    ]


def public_pages(client: TestClient, codes: list[str]) -> dict[str, str]:
    paths = [
        "/v1/complaints",
        "/v1/public/complaints",
        "/v1/public/complaints?institution=dlh-kota-bandar-lampung",
        "/v1/public/complaints.atom",
        "/v1/public/stats",
        "/publik",
        "/publik?lang=en",
        "/publik?region=kota-bandar-lampung",
    ]
    for fmt in ("json", "xml"):
        paths += [f"/open311/v2/requests.{fmt}", f"/open311/v2/requests.{fmt}?status=closed"]
        paths += [f"/open311/v2/requests/{code}.{fmt}" for code in codes]
        paths.append(f"/open311/v2/requests.{fmt}?service_request_id={','.join(codes)}")
    for code in codes:
        paths += [f"/v1/public/complaints/{code}", f"/publik/laporan/{code}"]
        paths.append(f"/publik/laporan/{code}?lang=en")
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        pages[path] = response.text
    return pages


def test_no_public_surface_shows_personal_data_or_confidential_reports(
    client: TestClient, app: FastAPI
) -> None:
    codes = file_reports(client, app)
    pages = public_pages(client, codes)
    for path, text in pages.items():
        for secret in PERSONAL + CONFIDENTIAL_MARKERS:
            found = re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", text, re.IGNORECASE)
            at = found.start() if found else 0
            assert found is None, (
                f"{secret!r} shown by {path}: ...{text[max(at - 80, 0) : at + 40]}"
            )
        undated = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?", " ", text)
        numbers = re.findall(r"(?<![\w-])\+?\d[\d .-]{8,}\d(?![\w-])", undated)
        assert [n for n in numbers if len(re.sub(r"\D", "", n)) >= 10] == [], path
    # ...while the reports themselves are there, scrubbed
    listed = pages["/v1/public/complaints"]
    assert codes[0] in listed and codes[1] in listed and codes[2] in listed
    assert "Sampah di depan rumah [nama]" in pages["/publik"]
    assert "Nama saya [nama], NIK [NIK]" in listed
    assert (
        "Petugas sudah menghubungi Ibu [nama] di [telepon]."
        in pages[f"/open311/v2/requests/{codes[0]}.json"]
    )
