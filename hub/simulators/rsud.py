"""Simulated RSUD (Rumah Sakit Umum Daerah, the provincial hospital) complaint desk: Open311.

GeoReport v2 in JSON under /open311/v2:

    GET  services.json                     the hospital's complaint services
    POST requests.json                     form-encoded, api_key required -> [{service_request_id}]
                                           (or [{token}] when `answer_with_token` is set)
    GET  tokens/{token}.json               -> [{token, service_request_id}]
    GET  requests/{id}.json                one request
    GET  servicerequestupdates.json        FixMyStreet's updates, start_date inclusive

Errors are Open311's `[{"code", "description"}]`: 403 bad api_key, 404 unknown service, 400 other.
Deliveries carrying the same Idempotency-Key header return the first request.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from hub.simulators.base import Request, Response, Route, SimulatedApp, json_response

__all__ = ["RSUD_SERVICES", "RSUDApp"]

WIB = timezone(timedelta(hours=7))
PREFIX = "/open311/v2"

RSUD_SERVICES = [
    {"service_code": "RSUD-PLY", "service_name": "Pelayanan pasien", "group": "pelayanan"},
    {"service_code": "RSUD-KBR", "service_name": "Kebersihan rumah sakit", "group": "fasilitas"},
    {"service_code": "RSUD-ANT", "service_name": "Antrean dan pendaftaran", "group": "pelayanan"},
    {"service_code": "RSUD-UMUM", "service_name": "Pengaduan umum", "group": "lainnya"},
]

OPEN311_CLOSED = {
    "fixed",
    "closed",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
}


def _errors(status: int, description: str) -> Response:
    return json_response([{"code": status, "description": description}], status)


class RSUDApp(SimulatedApp):
    name = "rsud"

    def __init__(self, *, api_key: str | None = None, **kwargs: Any) -> None:
        self.api_key = api_key or "rsud-" + secrets.token_urlsafe(18)
        self.answer_with_token = False
        self.requests_filed: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self._tokens: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        self._created_by_key: Counter[str] = Counter()
        self._clock_offset = 0
        self._clock_start = datetime.now(WIB).replace(microsecond=0)
        super().__init__(**kwargs)

    @property
    def open311_url(self) -> str:
        return self.url + PREFIX

    def routes(self) -> list[Route]:
        return [
            Route("GET", f"{PREFIX}/services.json", self._services),
            Route("POST", f"{PREFIX}/requests.json", self._create),
            Route("GET", f"{PREFIX}/tokens/(?P<token>[^/]+).json", self._token),
            Route("GET", f"{PREFIX}/requests/(?P<id>[^/]+).json", self._read),
            Route("GET", f"{PREFIX}/servicerequestupdates.json", self._updates),
        ]

    def reset(self) -> None:
        with self._lock:
            self.answer_with_token = False
            self.requests_filed.clear()
            self.updates.clear()
            self._tokens.clear()
            self._by_key.clear()
            self._created_by_key.clear()
            self._clock_offset = 0
            self._clock_start = datetime.now(WIB).replace(microsecond=0)
        super().reset()

    def records_for_key(self, key: str) -> int:
        with self._lock:
            return self._created_by_key[key]

    def set_status(
        self, request_id: str, extended: str, description: str | None = None
    ) -> dict[str, Any]:
        """Staff update a request; `extended` is a FixMyStreet status such as "in_progress"."""
        with self._lock:
            if request_id not in self.requests_filed:
                raise KeyError(f"no RSUD request {request_id!r}")
            status = "closed" if extended.lower() in OPEN311_CLOSED else "open"
            self.requests_filed[request_id]["status"] = status
            # Real time, and each update at least one second after the last, so updates made
            # after a report was filed are newer than it and time windows stay predictable.
            self._clock_offset += 1
            when = self._clock_start + timedelta(seconds=self._clock_offset)
            update = {
                "update_id": f"rsud-upd-{len(self.updates) + 1}",
                "service_request_id": request_id,
                "status": extended.lower(),
                "updated_datetime": when.isoformat(),
                "description": description,
                "media_url": None,
            }
            self.updates.append(update)
        return update

    def _authorised(self, form: dict[str, str]) -> bool:
        return secrets.compare_digest(form.get("api_key", ""), self.api_key)

    def _services(self, request: Request) -> Response:
        return json_response(
            [
                {**s, "description": s["service_name"], "metadata": False, "type": "realtime"}
                for s in RSUD_SERVICES
            ]
        )

    def _create(self, request: Request) -> Response:
        form = request.form()
        if not self._authorised(form):
            return _errors(403, "api_key tidak valid / invalid api_key")
        code = form.get("service_code", "")
        if code not in {s["service_code"] for s in RSUD_SERVICES}:
            return _errors(404, f"service_code {code!r} tidak dikenal")
        if not (form.get("lat") and form.get("long")) and not form.get("address_string"):
            return _errors(400, "lokasi wajib: lat+long atau address_string")
        if not form.get("description"):
            return _errors(400, "description wajib diisi")
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key and key in self._by_key:
                request_id = self._by_key[key]
            else:
                request_id = f"RSUD-{len(self.requests_filed) + 1:05d}"
                self.requests_filed[request_id] = {
                    **form,
                    "service_request_id": request_id,
                    "status": "open",
                }
                del self.requests_filed[request_id]["api_key"]
                if key:
                    self._by_key[key] = request_id
                    self._created_by_key[key] += 1
            if self.answer_with_token:
                token = f"tok-{request_id}"
                self._tokens[token] = request_id
                return json_response([{"token": token}])
        return json_response([{"service_request_id": request_id, "service_notice": "Terima kasih"}])

    def _token(self, request: Request) -> Response:
        with self._lock:
            request_id = self._tokens.get(request.params["token"])
        if request_id is None:
            return _errors(404, "token tidak dikenal")
        return json_response([{"token": request.params["token"], "service_request_id": request_id}])

    def _read(self, request: Request) -> Response:
        with self._lock:
            found = self.requests_filed.get(request.params["id"])
        if found is None:
            return _errors(404, "permintaan tidak ditemukan")
        return json_response([found])

    def _updates(self, request: Request) -> Response:
        if not self._authorised(request.query):
            return _errors(403, "api_key tidak valid / invalid api_key")
        start = request.query.get("start_date")
        try:
            since = datetime.fromisoformat(start) if start else None
        except ValueError:
            return _errors(400, "start_date bukan waktu ISO 8601")
        with self._lock:
            items = [
                u
                for u in self.updates
                if since is None or datetime.fromisoformat(u["updated_datetime"]) >= since
            ]
        return json_response({"service_request_updates": items})
