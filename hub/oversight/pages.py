"""The public oversight page `/publik`: server-rendered HTML, Bahasa Indonesia (`?lang=en` for
English), no JavaScript. It reads the same public data as /v1/public."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.access import Principal, require
from hub.deps import SessionDep
from hub.oversight import service

WIB = timezone(timedelta(hours=7), "WIB")

router = APIRouter(tags=["public oversight"])

_env = Environment(
    loader=PackageLoader("hub.oversight", "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Pengawasan Publik Pengaduan",
        "intro": (
            "Semua laporan warga yang bersifat publik dan kinerja tiap perangkat daerah (OPD) "
            "dalam menindaklanjutinya. Data pribadi pelapor (nama, telepon, e-mail, NIK, alamat "
            "rumah) tidak ditampilkan; laporan rahasia tidak dipublikasikan."
        ),
        "skip": "Langsung ke daftar laporan",
        "other_lang": "English",
        "filter": "Saring laporan",
        "category": "Kategori",
        "institution": "OPD",
        "region": "Kabupaten/kota",
        "all": "Semua",
        "apply": "Terapkan",
        "reports": "Laporan terbaru",
        "none": "Belum ada laporan yang cocok.",
        "code": "Kode",
        "status": "Status",
        "received_on": "Diterima",
        "area": "Lokasi",
        "unassigned": "Belum ditetapkan",
        "next": "Laporan berikutnya",
        "first": "Kembali ke awal",
        "performance": "Kinerja OPD",
        "perf_caption": "Kinerja penanganan pengaduan per OPD (semua laporan, termasuk rahasia)",
        "received": "Diterima",
        "in_progress": "Dalam proses",
        "resolved": "Selesai",
        "other_closed": "Ditutup lain",
        "first_response": "Median respons pertama (jam)",
        "resolution": "Median penyelesaian (jam)",
        "overdue": "Melewati batas waktu",
        "overdue_off": "Batas waktu layanan belum diberlakukan; kolom ini masih 0.",
        "feed": "Langganan laporan baru (Atom)",
        "timeline": "Riwayat penanganan",
        "back": "Kembali ke daftar",
        "not_found": "Laporan tidak ditemukan atau tidak publik.",
        "anonymous": "Pelapor anonim",
    },
    "en": {
        "title": "Public Oversight of Complaints",
        "intro": (
            "Every public citizen report and how each government agency (OPD) follows it up. "
            "Reporters' personal data (name, phone, e-mail, NIK, home address) is never shown; "
            "confidential reports are not published."
        ),
        "skip": "Skip to the report list",
        "other_lang": "Bahasa Indonesia",
        "filter": "Filter reports",
        "category": "Category",
        "institution": "Agency (OPD)",
        "region": "Regency/city",
        "all": "All",
        "apply": "Apply",
        "reports": "Latest reports",
        "none": "No matching reports yet.",
        "code": "Code",
        "status": "Status",
        "received_on": "Received",
        "area": "Location",
        "unassigned": "Not yet assigned",
        "next": "Next reports",
        "first": "Back to the start",
        "performance": "Agency performance",
        "perf_caption": "Complaint handling per agency (all reports, confidential included)",
        "received": "Received",
        "in_progress": "In progress",
        "resolved": "Resolved",
        "other_closed": "Closed otherwise",
        "first_response": "Median first response (hours)",
        "resolution": "Median resolution (hours)",
        "overdue": "Overdue",
        "overdue_off": "Service-level deadlines are not in force yet; this column is still 0.",
        "feed": "Subscribe to new reports (Atom)",
        "timeline": "Handling history",
        "back": "Back to the list",
        "not_found": "Report not found or not public.",
        "anonymous": "Anonymous reporter",
    },
}

Lang = Annotated[str, Query(description="id (Bahasa Indonesia, default) or en")]


def _lang(value: str) -> str:
    return value if value in TEXT else "id"


def _wib(value: str | None) -> str:
    """An ISO datetime as the reader's wall clock in Lampung (WIB)."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


_env.filters["wib"] = _wib


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _link(path: str, **params: str | None) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v])
    return f"{path}?{query}" if query else path


@router.get("/publik", response_class=HTMLResponse, summary="Public oversight page")
def page(
    request: Request,
    session: SessionDep,
    lang: Lang = "id",
    category: str | None = None,
    institution: str | None = None,
    region: str | None = None,
    cursor: str | None = None,
    _: Principal = Depends(require("GET", "/publik")),
) -> HTMLResponse:
    lang = _lang(lang)
    known = service.names(session)
    filters = service.FeedFilters(category or None, institution or None, region or None)
    rows, next_cursor = service.feed(session, filters, limit=20, cursor=cursor or None)
    reports = [service.item(c, known) for c in rows]
    performance = service.stats(
        session, overdue_counter=getattr(request.app.state, "overdue_counter", None)
    )
    current = {"category": category, "institution": institution, "region": region}
    other = "en" if lang == "id" else "id"
    return _render(
        "publik.html",
        t=TEXT[lang],
        lang=lang,
        known=known,
        reports=reports,
        performance=performance,
        overdue_tracked=getattr(request.app.state, "overdue_counter", None) is not None,
        current=current,
        lang_link=_link("/publik", lang=other, **current, cursor=cursor),
        next_link=_link("/publik", lang=lang, **current, cursor=next_cursor)
        if next_cursor
        else None,
        first_link=_link("/publik", lang=lang, **current) if cursor else None,
        feed_link=_link("/v1/public/complaints.atom", **current),
        report_link=lambda code: _link(f"/publik/laporan/{code}", lang=lang),
    )


@router.get(
    "/publik/laporan/{tracking_code}",
    response_class=HTMLResponse,
    summary="Public page of one report",
)
def report_page(
    tracking_code: str,
    session: SessionDep,
    lang: Lang = "id",
    _: Principal = Depends(require("GET", "/publik/laporan/{tracking_code}")),
) -> HTMLResponse:
    lang = _lang(lang)
    other = "en" if lang == "id" else "id"
    complaint = service.public_report(session, tracking_code)
    common: dict[str, Any] = {
        "t": TEXT[lang],
        "lang": lang,
        "lang_link": _link(f"/publik/laporan/{tracking_code}", lang=other),
        "back_link": _link("/publik", lang=lang),
    }
    if complaint is None:
        return _render("laporan.html", status=404, report=None, **common)
    report = service.item(complaint, service.names(session))
    return _render("laporan.html", report=report, timeline=service.timeline(complaint), **common)
