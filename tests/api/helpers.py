"""Small builders for API tests."""

from __future__ import annotations

from typing import Any


def submission(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "superapp",
        "title": "Tumpukan sampah di pinggir jalan",
        "description": "Sampah menumpuk sudah seminggu di Jl. Teuku Umar, bau sekali.",
        "category": "sampah_lingkungan",
        "privacy": "public",
        "contact": {"name": "Siti Aminah", "phone": "+6281234567890", "email": "siti@example.id"},
        "location": {
            "lat": -5.39712,
            "lon": 105.26681,
            "address": "Jl. Teuku Umar No. 12",
            "region": "kota-bandar-lampung",
            "kecamatan": "Kedaton",
        },
    }
    body.update(overrides)
    return body
