"""Our catalog and complaints in GeoReport v2 terms, and a filed form as a submission.

Pure functions over plain values and ORM rows; no web framework here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from hub.complaints.lifecycle import LABELS, OPEN311
from hub.complaints.models import Complaint
from hub.open311.formats import BadRequest, Invalid, Open311Error, stamp
from hub.oversight.privacy import public_complaint, scrub
from schemas.models import ComplaintSubmission, Privacy, Status

JURISDICTION = "lampungprov.go.id"

# Open311 `group` for each category (GeoReport groups services for pickers in client apps).
GROUPS = {
    "jalan_jembatan": "Infrastruktur",
    "banjir_drainase": "Infrastruktur",
    "listrik_pju": "Infrastruktur",
    "air_bersih": "Infrastruktur",
    "perhubungan_lalin": "Perhubungan",
    "sampah_lingkungan": "Lingkungan",
    "kesehatan_rs": "Layanan Publik",
    "pendidikan": "Layanan Publik",
    "kependudukan": "Layanan Publik",
    "pajak_kendaraan_samsat": "Layanan Publik",
    "sosial_bansos": "Layanan Publik",
    "ketertiban_umum": "Ketertiban dan Keamanan",
    "kriminal_keamanan": "Ketertiban dan Keamanan",
}
DEFAULT_GROUP = "Lainnya"

PRIVACY_CHOICES = {
    Privacy.PUBLIC.value: "Publik (public)",
    Privacy.ANONYMOUS.value: "Anonim: identitas pelapor disembunyikan (anonymous)",
    Privacy.CONFIDENTIAL.value: "Rahasia: laporan tidak dipublikasikan (confidential)",
}


@dataclass(frozen=True)
class Catalog:
    """The names a request view needs, read once per HTTP request."""

    categories: Mapping[str, tuple[str, str, str]]  # code -> (name_id, name_en, keywords)
    institutions: Mapping[str, str]  # code -> name
    regions: Mapping[str, str] = field(default_factory=dict)  # kab/kota code -> name


def service(code: str, catalog: Catalog) -> dict[str, Any]:
    name_id, name_en, keywords = catalog.categories[code]
    return {
        "service_code": code,
        "service_name": name_id,
        "description": f"Pengaduan {name_id.lower()} (complaints: {name_en.lower()})",
        "metadata": bool(attributes(catalog)),
        "type": "realtime",
        "keywords": ", ".join(k.strip() for k in keywords.split(",") if k.strip()),
        "group": GROUPS.get(code, DEFAULT_GROUP),
    }


def attributes(catalog: Catalog) -> list[dict[str, Any]]:
    """The extra fields every service accepts (privacy mode, region, a short title)."""
    attrs: list[dict[str, Any]] = [
        {
            "variable": True,
            "code": "privacy",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": "Kerahasiaan laporan (report privacy); default publik",
            "values": [{"key": k, "name": v} for k, v in PRIVACY_CHOICES.items()],
        },
        {
            "variable": True,
            "code": "title",
            "datatype": "string",
            "required": False,
            "datatype_description": "3-200 karakter (characters)",
            "order": 3,
            "description": "Judul singkat laporan (short title)",
        },
    ]
    if catalog.regions:
        attrs.insert(
            1,
            {
                "variable": True,
                "code": "region",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": "Kabupaten/kota lokasi masalah (regency or city of the problem)",
                "values": [{"key": k, "name": v} for k, v in catalog.regions.items()],
            },
        )
    return attrs


def service_definition(code: str, catalog: Catalog) -> dict[str, Any]:
    return {"service_code": code, "attributes": attributes(catalog)}


def _public_address(location: Mapping[str, Any] | None, catalog: Catalog) -> str | None:
    """The area of a report (kelurahan, kecamatan, regency): never a street or house number."""
    if not location:
        return None
    parts = []
    if location.get("kelurahan"):
        parts.append(f"Kel. {location['kelurahan']}")
    if location.get("kecamatan"):
        parts.append(f"Kec. {location['kecamatan']}")
    region = location.get("region")
    if region:
        parts.append(catalog.regions.get(region) or catalog.institutions.get(region, region))
    return ", ".join(parts) or None


def service_notice(complaint: Complaint) -> str:
    label = LABELS[Status(complaint.status)]
    return (
        f"{label['id']} ({label['en']}). Kode pelacakan (tracking code): {complaint.tracking_code}"
    )


def status_notes(
    complaint: Complaint, note: str | None, redirect_to: str | None, catalog: Catalog
) -> str | None:
    """The latest public note; for a redirected report, where the citizen should go."""
    text = scrub(note, complaint) if note else None
    if complaint.status != Status.REDIRECTED.value:
        return text
    target = redirect_to or complaint.institution
    if not target:
        return text
    name = catalog.institutions.get(target, target)
    referral = f"Dialihkan ke {name} (redirected to {name})"
    if text and name in text:
        return text
    return f"{text} {referral}" if text else referral


def service_request(
    complaint: Complaint,
    catalog: Catalog,
    *,
    note: str | None = None,
    redirect_to: str | None = None,
    expected: datetime | None = None,
) -> dict[str, Any]:
    """A complaint as a GeoReport v2 request: public data only (no reporter, no street)."""
    view = public_complaint(complaint)
    category = complaint.category or ""
    location = view.get("location") or {}
    media = [a["url"] for a in view.get("attachments") or [] if a.get("url")]
    return {
        "service_request_id": complaint.tracking_code,
        "status": OPEN311[Status(complaint.status)][0],
        "status_notes": status_notes(complaint, note, redirect_to, catalog),
        "service_name": catalog.categories[category][0] if category in catalog.categories else None,
        "service_code": category or None,
        "description": view["description"],
        "agency_responsible": catalog.institutions.get(complaint.institution)
        if complaint.institution
        else None,
        "service_notice": service_notice(complaint),
        "requested_datetime": stamp(complaint.created_at),
        "updated_datetime": stamp(complaint.updated_at),
        "expected_datetime": stamp(expected),
        "address": _public_address(location, catalog),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": media[0] if media else None,
    }


_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](?:\[\])?$")
_STANDARD = {
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
}


def _float(form: Mapping[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(form[name])
    except ValueError:
        raise BadRequest(f"{name} must be a decimal number (WGS84).") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must lie between {low} and {high}.")
    return value


def _title(description: str) -> str:
    first = re.split(r"(?<=[.!?])\s|\n", description.strip(), maxsplit=1)[0]
    if len(first) <= 80:
        return first
    return first[:80].rsplit(" ", 1)[0] + "..."


def submission(form: Mapping[str, str], *, channel: str, catalog: Catalog) -> ComplaintSubmission:
    """A GeoReport POST form as our submission; raises `Invalid` naming every problem."""
    errors: list[Open311Error] = []
    attrs: dict[str, str] = {}
    for key, value in form.items():
        match = _ATTRIBUTE.match(key)
        if match:
            attrs[match.group(1)] = value
        elif key not in _STANDARD:
            errors.append(BadRequest(f"Unknown field {key!r}."))
    known = {a["code"] for a in attributes(catalog)}
    errors += [BadRequest(f"Unknown attribute {code!r}.") for code in attrs if code not in known]

    location: dict[str, Any] = {}
    has_lat, has_long = bool(form.get("lat")), bool(form.get("long"))
    if has_lat != has_long:
        errors.append(BadRequest("lat and long must be given together."))
    elif has_lat:
        try:
            location["lat"] = _float(form, "lat", -90, 90)
            location["lon"] = _float(form, "long", -180, 180)
        except Open311Error as exc:
            errors.append(exc)
    if form.get("address_string"):
        location["address"] = form["address_string"]
    elif form.get("address_id"):
        location["address"] = f"address_id:{form['address_id']}"
    if not (has_lat and has_long) and not form.get("address_string") and not form.get("address_id"):
        errors.append(
            BadRequest("A location is required: lat and long, address_string or address_id.")
        )
    region = attrs.get("region")
    if region:
        if region not in catalog.regions:
            errors.append(BadRequest(f"attribute[region]: unknown region {region!r}."))
        location["region"] = region

    description = (form.get("description") or "").strip()
    if len(description) < 10:
        errors.append(BadRequest("description is required (at least 10 characters)."))
    privacy = attrs.get("privacy") or Privacy.PUBLIC.value
    if privacy not in PRIVACY_CHOICES:
        errors.append(
            BadRequest(f"attribute[privacy] must be one of {', '.join(PRIVACY_CHOICES)}.")
        )
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p).strip()
    contact = {
        k: v
        for k, v in {"name": name, "phone": form.get("phone"), "email": form.get("email")}.items()
        if v
    }
    if errors:
        raise Invalid(errors)
    doc: dict[str, Any] = {
        "channel": channel,
        "title": (attrs.get("title") or "").strip() or _title(description),
        "description": description,
        "category": form.get("service_code"),
        "privacy": privacy,
        "location": location,
        "attachments": [{"url": form["media_url"]}] if form.get("media_url") else [],
    }
    if contact:
        doc["contact"] = contact
    try:
        return ComplaintSubmission.model_validate(doc)
    except ValidationError as exc:
        raise Invalid([BadRequest(_describe(err)) for err in exc.errors()]) from None


_FIELD_NAMES = {
    ("contact", "phone"): "phone",
    ("contact", "email"): "email",
    ("contact", "name"): "first_name/last_name",
    ("location", "address"): "address_string",
    ("attachments", 0, "url"): "media_url",
    ("title",): "attribute[title]",
}


def _describe(error: Any) -> str:
    loc = tuple(error.get("loc", ()))
    name = _FIELD_NAMES.get(loc, ".".join(str(p) for p in loc) or "request")
    return f"{name}: {error.get('msg', 'invalid')}"
