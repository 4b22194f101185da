"""Free text as the public reads it: no names, phones, e-mails, NIK or house numbers."""

from __future__ import annotations

import uuid

import pytest

from hub.complaints.models import Complaint
from hub.db import utcnow
from hub.oversight.privacy import public_complaint, scrub
from hub.oversight.privacy import public_note as note_of


def complaint(**overrides: object) -> Complaint:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "tracking_code": "LPG-2026-000001",
        "channel": "web",
        "privacy": "public",
        "sensitive": False,
        "title": "Jalan rusak",
        "description": "Jalan rusak parah.",
        "contact": {"name": "Siti Aminah", "phone": "+6281234567890", "email": "siti@example.id"},
        "location": {"address": "Jl. Teuku Umar No. 12", "region": "kota-bandar-lampung"},
        "attachments": [],
        "status": "received",
    }
    fields.update(overrides)
    return Complaint(created_at=utcnow(), updated_at=utcnow(), **fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hubungi 0812-3456-7890 ya", "hubungi [telepon] ya"),
        ("WA +62 812 3456 7890", "WA [telepon]"),
        ("NIK 1871012345678901", "NIK [NIK]"),
        ("NIK 1871 0123 4567 8901", "NIK [NIK]"),
        ("kirim ke budi.s@mail.co.id", "kirim ke [email]"),
        ("Nama saya Budi Santoso, warga sini", "Nama saya [nama], warga sini"),
        ("saya bernama Rina", "saya bernama [nama]"),
        ("a.n. Joko Widodo", "a.n. [nama]"),
        ("sudah lapor ke Pak Harun dan Ibu Maria Ulfa", "sudah lapor ke Pak [nama] dan Ibu [nama]"),
        ("rumah saya Jl. Kenanga No. 5A", "rumah saya Jl. Kenanga No. [..]"),
        ("Gang Mawar nomor 12/3", "Gang Mawar No. [..]"),
        ("jalan ke ibu kota rusak", "jalan ke ibu kota rusak"),  # lower case: not a name
    ],
)
def test_scrub_removes_personal_data_typed_into_text(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_the_reporters_own_name_and_address_are_removed_wherever_they_appear() -> None:
    report = complaint(
        description="Saya siti aminah, tinggal di Jl. Teuku Umar No. 12. Aminah minta tolong."
    )
    assert public_complaint(report)["description"] == (
        "Saya [nama], tinggal di [alamat]. [nama] minta tolong."
    )
    assert note_of("Ibu Siti sudah dihubungi", report) == "Ibu [nama] sudah dihubungi"
    assert note_of(None, report) is None


def test_the_public_view_has_no_contact_street_or_reporter() -> None:
    view = public_complaint(complaint(title="Sampah, hubungi siti@example.id", reporter="sub-1"))
    assert view["title"] == "Sampah, hubungi [email]"
    assert "contact" not in view and "reporter" not in view
    assert "address" not in (view["location"] or {})


def test_confidential_reports_have_no_public_view() -> None:
    with pytest.raises(ValueError, match="confidential"):
        public_complaint(complaint(privacy="confidential"))
