"""Simulated DLH (Dinas Lingkungan Hidup, environment office) app: REST/JSON, pushes webhooks.

    POST /oauth/token              client credentials -> bearer token (expiring)
    POST /api/v1/laporan           file a report (honours Idempotency-Key) -> 201 {"data": {...}}
    GET  /api/v1/laporan/{id}      one report
    GET  /api/v1/pembaruan?sejak=N status events after cursor N -> {"data": [...], "kursor": "M"}
    GET  /api/v1/profil            who am I (credential check)

Auth: `X-API-Key: <api_key>` or `Authorization: Bearer <token from /oauth/token>`.
Status events are pushed to `webhook_url` (when set) signed `X-DLH-Signature: sha256=<hex>`
(HMAC-SHA256 of the body with `webhook_secret`), and are also readable by polling.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from connectors.signing import sign
from hub.simulators.base import Request, Response, Route, SimulatedApp, json_response

__all__ = ["DLH_STATUSES", "DLHApp"]

WIB = timezone(timedelta(hours=7))
# The app's own vocabulary.
DLH_STATUSES = ("DITERIMA", "DIPROSES", "DITINDAKLANJUTI", "SELESAI", "DITOLAK")


class DLHApp(SimulatedApp):
    name = "dlh"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        client_id: str = "lampung-in-hub",
        client_secret: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        token_lifetime: int = 3600,
        **kwargs: Any,
    ) -> None:
        # Credentials are random per run unless given: a simulator holds no real secret.
        self.api_key = api_key or "dlh-" + secrets.token_urlsafe(18)
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or secrets.token_urlsafe(24)
        self.token_lifetime = token_lifetime
        self.records: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.tokens_issued = 0
        self._by_key: dict[str, str] = {}
        self._posts_by_key: Counter[str] = Counter()
        self._created_by_key: Counter[str] = Counter()
        super().__init__(**kwargs)

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/oauth/token", self._token),
            Route("POST", "/api/v1/laporan", self._create),
            Route("GET", r"/api/v1/laporan/(?P<id>[^/]+)", self._read),
            Route("GET", "/api/v1/pembaruan", self._updates),
            Route("GET", "/api/v1/profil", self._profile),
        ]

    def reset(self) -> None:
        with self._lock:
            self.records.clear()
            self.events.clear()
            self.tokens.clear()
            self.tokens_issued = 0
            self._by_key.clear()
            self._posts_by_key.clear()
            self._created_by_key.clear()
        super().reset()

    # -- what tests assert on -----------------------------------------------------------------
    def records_for_key(self, key: str) -> int:
        """How many records were created for an Idempotency-Key (exactly-once means 1)."""
        with self._lock:
            return self._created_by_key[key]

    def posts_for_key(self, key: str) -> int:
        """How many times a report was POSTed with that key (retries included)."""
        with self._lock:
            return self._posts_by_key[key]

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    # -- status changes -------------------------------------------------------------------------
    def set_status(
        self, ref: str, status: str, note: str | None = None, *, push: bool = True
    ) -> dict[str, Any]:
        """An officer changes a report's status: recorded for polling, pushed if configured."""
        if status not in DLH_STATUSES:
            raise ValueError(f"DLH knows no status {status!r}")
        with self._lock:
            if ref not in self.records:
                raise KeyError(f"no DLH report {ref!r}")
            self.records[ref]["status"] = status
            event = {
                "event_id": f"dlh-evt-{len(self.events) + 1}",
                "laporan_id": ref,
                "status": status,
                "catatan": note,
                "waktu": datetime.now(WIB).isoformat(timespec="seconds"),
                "petugas": "Petugas DLH",
            }
            self.events.append(event)
        if push and self.webhook_url:
            self.push(event)
        return event

    def signed_webhook(self, event: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """Headers and body of the webhook that announces `event`."""
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "X-DLH-Signature": sign(self.webhook_secret, body, "sha256="),
        }
        return headers, body

    def push(self, event: dict[str, Any]) -> int:
        """POST the signed event to `webhook_url`; the receiver's HTTP status."""
        if not self.webhook_url:
            raise RuntimeError("DLH simulator has no webhook_url")
        headers, body = self.signed_webhook(event)
        with httpx.Client(timeout=5.0) as client:
            return client.post(self.webhook_url, content=body, headers=headers).status_code

    def control(self, request: Request) -> Response:
        if request.path == "/_control/status" and request.method == "POST":
            spec = request.json() or {}
            try:
                event = self.set_status(spec["laporan_id"], spec["status"], spec.get("catatan"))
            except (KeyError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
            return json_response(event)
        if request.path == "/_control/webhook" and request.method == "POST":
            self.webhook_url = (request.json() or {}).get("url")
            return json_response({"webhook_url": self.webhook_url})
        return super().control(request)

    # -- handlers -------------------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        if secrets.compare_digest(request.headers.get("x-api-key", ""), self.api_key):
            return True
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            with self._lock:
                expiry = self.tokens.get(auth[7:])
            return expiry is not None and time.monotonic() < expiry
        return False

    def _token(self, request: Request) -> Response:
        form = request.form()
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if client_id != self.client_id or not secrets.compare_digest(
            client_secret, self.client_secret
        ):
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        return json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        )

    def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "Tidak berwenang"}, 401)
        key = request.headers.get("idempotency-key")
        try:
            doc = request.json()
        except ValueError:
            return json_response({"pesan": "Badan permintaan bukan JSON"}, 400)
        errors = [
            f"{name} wajib diisi"
            for name in ("judul", "isi")
            if not isinstance(doc, dict) or not isinstance(doc.get(name), str) or not doc[name]
        ]
        if errors:
            return json_response({"pesan": "Data tidak valid", "galat": errors}, 422)
        with self._lock:
            if key:
                self._posts_by_key[key] += 1
                if key in self._by_key:
                    record = self.records[self._by_key[key]]
                    return json_response({"data": record}, 200, {"Idempotent-Replayed": "true"})
            ref = f"DLH-{datetime.now(UTC).year}-{len(self.records) + 1:05d}"
            record = {
                **doc,
                "id": ref,
                "status": "DITERIMA",
                "dibuat": datetime.now(WIB).isoformat(timespec="seconds"),
            }
            self.records[ref] = record
            if key:
                self._by_key[key] = ref
                self._created_by_key[key] += 1
        return json_response({"data": record}, 201)

    def _read(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "Tidak berwenang"}, 401)
        with self._lock:
            record = self.records.get(request.params["id"])
        if record is None:
            return json_response({"pesan": "Laporan tidak ditemukan"}, 404)
        return json_response({"data": record})

    def _updates(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "Tidak berwenang"}, 401)
        raw = request.query.get("sejak", "0")
        if not raw.isdigit():
            return json_response({"pesan": "kursor tidak valid"}, 400)
        start = int(raw)
        with self._lock:
            batch = self.events[start : start + 100]
        return json_response({"data": batch, "kursor": str(start + len(batch))})

    def _profile(self, request: Request) -> Response:
        if not self._authorised(request):
            return json_response({"pesan": "Tidak berwenang"}, 401)
        return json_response({"aplikasi": "SIPAS DLH Provinsi Lampung", "versi": "2.3"})
