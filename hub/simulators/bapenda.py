"""Simulated Bapenda (regional revenue agency) vehicle-tax lookup: a synchronous REST/JSON call.

    GET /api/v1/pkb/{nopol}    X-API-Key -> the vehicle's tax (PKB) bill, 404 when unknown
    GET /api/v1/status         service status (credential check)

Plates are matched without spaces and case ("be 1234 ab" == "BE1234AB").
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import unquote

from hub.simulators.base import Request, Response, Route, SimulatedApp, json_response

__all__ = ["VEHICLES", "BapendaApp", "normalise_plate"]

VEHICLES: dict[str, dict[str, Any]] = {
    "BE1234AB": {
        "nopol": "BE 1234 AB",
        "merek": "HONDA VARIO 125",
        "tahun_buat": 2019,
        "pkb_pokok": 350000,
        "swdkllj": 35000,
        "denda": 0,
        "total": 385000,
        "jatuh_tempo": "2027-01-10",
        "status_bayar": "BELUM_BAYAR",
    },
    "BE5678CD": {
        "nopol": "BE 5678 CD",
        "merek": "TOYOTA AVANZA",
        "tahun_buat": 2016,
        "pkb_pokok": 2100000,
        "swdkllj": 143000,
        "denda": 210000,
        "total": 2453000,
        "jatuh_tempo": "2026-08-01",
        "status_bayar": "TERLAMBAT",
    },
}


def normalise_plate(plate: str) -> str:
    return "".join(plate.split()).upper()


class BapendaApp(SimulatedApp):
    name = "bapenda"

    def __init__(self, *, api_key: str | None = None, **kwargs: Any) -> None:
        self.api_key = api_key or "bapenda-" + secrets.token_urlsafe(18)
        self.vehicles = {k: dict(v) for k, v in VEHICLES.items()}
        super().__init__(**kwargs)

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"/api/v1/pkb/(?P<nopol>[^/]+)", self._lookup),
            Route("GET", "/api/v1/status", self._status),
        ]

    def _authorised(self, request: Request) -> bool:
        return secrets.compare_digest(request.headers.get("x-api-key", ""), self.api_key)

    def _lookup(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "API key tidak valid"}, 401)
        plate = normalise_plate(unquote(request.params["nopol"]))
        with self._lock:
            vehicle = self.vehicles.get(plate)
        if vehicle is None:
            return json_response({"pesan": f"Kendaraan {plate} tidak terdaftar"}, 404)
        return json_response({"kode": "00", "data": vehicle})

    def _status(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "API key tidak valid"}, 401)
        return json_response({"layanan": "e-Samsat Lampung", "status": "aktif"})
