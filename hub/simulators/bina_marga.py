"""Simulated Bina Marga (public works, roads and bridges) app: a legacy SOAP 1.1 web service.

    POST /ws/laporan   SOAP 1.1, namespace `urn:binamarga:lampung:laporan:v1`, WS-Security
                       UsernameToken (PasswordText) in the header; operations:
        SubmitLaporan(Judul, Uraian, Kategori, Lokasi{Lintang, Bujur, Alamat, Kecamatan},
                      NomorHub, KunciIdempotensi) -> NomorTiket, Status
        GetPembaruanStatus(Sejak) -> Pembaruan* {IdPembaruan, NomorTiket, Status, Keterangan,
                                                 Waktu}, Kursor
        Ping() -> Versi

Faults follow SOAP 1.1 (HTTP 500): `soap:Client` for bad input, `wsse:FailedAuthentication` for
bad credentials. Status changes are made by `set_status(...)` and read by polling only.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from hub.simulators.base import Request, Response, Route, SimulatedApp

__all__ = ["BM_STATUSES", "NAMESPACE", "BinaMargaApp"]

NAMESPACE = "urn:binamarga:lampung:laporan:v1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WIB = timezone(timedelta(hours=7))
BM_STATUSES = ("BARU", "VERIFIKASI", "DIKERJAKAN", "SELESAI", "DITOLAK", "BUKAN_KEWENANGAN")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _find(parent: Any, name: str) -> Any:
    return next((c for c in parent if _local(c.tag) == name), None)


def _text(parent: Any, name: str) -> str | None:
    child = _find(parent, name)
    return (child.text or "").strip() or None if child is not None else None


def _envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11}" xmlns:m="{NAMESPACE}">'
        f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
    ).encode()


def _xml(status: int, inner: str) -> Response:
    return Response(status, _envelope(inner), {"Content-Type": "text/xml; charset=utf-8"})


def _fault(code: str, text: str) -> Response:
    xmlns = f' xmlns:wsse="{WSSE}"' if code.startswith("wsse:") else ""
    return _xml(
        500,
        f"<soap:Fault{xmlns}><faultcode>{code}</faultcode>"
        f"<faultstring>{escape(text)}</faultstring></soap:Fault>",
    )


def _el(name: str, value: Any) -> str:
    return f"<m:{name}>{escape(str(value))}</m:{name}>" if value is not None else ""


class BinaMargaApp(SimulatedApp):
    name = "bina_marga"

    def __init__(
        self, *, username: str = "hub-lampung-in", password: str | None = None, **kwargs: Any
    ) -> None:
        self.username = username
        self.password = password or secrets.token_urlsafe(18)
        self.tickets: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self._by_key: dict[str, str] = {}
        self._created_by_key: Counter[str] = Counter()
        super().__init__(**kwargs)

    def routes(self) -> list[Route]:
        return [Route("POST", "/ws/laporan", self._soap)]

    def garbage(self) -> Response:
        return Response(200, b"<html><body>Apache Tomcat/6.0 - Error report", {})

    def reset(self) -> None:
        with self._lock:
            self.tickets.clear()
            self.updates.clear()
            self._by_key.clear()
            self._created_by_key.clear()
        super().reset()

    def records_for_key(self, key: str) -> int:
        with self._lock:
            return self._created_by_key[key]

    def set_status(self, ticket: str, status: str, note: str | None = None) -> dict[str, Any]:
        """An engineer updates a ticket; visible to the next GetPembaruanStatus."""
        if status not in BM_STATUSES:
            raise ValueError(f"Bina Marga knows no status {status!r}")
        with self._lock:
            if ticket not in self.tickets:
                raise KeyError(f"no Bina Marga ticket {ticket!r}")
            self.tickets[ticket]["Status"] = status
            update = {
                "IdPembaruan": f"BM-UPD-{len(self.updates) + 1}",
                "NomorTiket": ticket,
                "Status": status,
                "Keterangan": note,
                "Waktu": datetime.now(WIB).replace(tzinfo=None).isoformat(timespec="seconds"),
            }
            self.updates.append(update)
        return update

    # -- SOAP ---------------------------------------------------------------------------------
    def _soap(self, request: Request) -> Response:
        try:
            root = etree.fromstring(request.body, parser=_PARSER)
        except etree.XMLSyntaxError:
            return _fault("soap:Client", "Permintaan bukan XML yang valid")
        if _local(root.tag) != "Envelope":
            return _fault("soap:Client", "Bukan SOAP Envelope")
        header, body = _find(root, "Header"), _find(root, "Body")
        if body is None or len(body) == 0:
            return _fault("soap:Client", "SOAP Body kosong")
        if not self._authenticated(header):
            return _fault("wsse:FailedAuthentication", "Autentikasi gagal")
        operation = body[0]
        name = _local(operation.tag)
        if etree.QName(operation.tag).namespace != NAMESPACE:
            return _fault("soap:Client", f"Namespace tidak dikenal untuk {name}")
        handler = {
            "SubmitLaporan": self._submit,
            "GetPembaruanStatus": self._updates,
            "Ping": self._ping,
        }.get(name)
        if handler is None:
            return _fault("soap:Client", f"Operasi {name} tidak dikenal")
        return handler(operation)

    def _authenticated(self, header: Any) -> bool:
        if header is None:
            return False
        security = _find(header, "Security")
        token = _find(security, "UsernameToken") if security is not None else None
        if token is None:
            return False
        username, password = _text(token, "Username") or "", _text(token, "Password") or ""
        return username == self.username and secrets.compare_digest(password, self.password)

    def _submit(self, op: Any) -> Response:
        judul, uraian = _text(op, "Judul"), _text(op, "Uraian")
        missing = [n for n, v in (("Judul", judul), ("Uraian", uraian)) if not v]
        if missing:
            return _fault("soap:Client", f"Elemen wajib kosong: {', '.join(missing)}")
        key = _text(op, "KunciIdempotensi")
        lokasi = _find(op, "Lokasi")
        with self._lock:
            if key and key in self._by_key:
                ticket = self.tickets[self._by_key[key]]
            else:
                number = f"BM-{datetime.now(UTC).year}-{len(self.tickets) + 1:05d}"
                ticket = {
                    "NomorTiket": number,
                    "Judul": judul,
                    "Uraian": uraian,
                    "Kategori": _text(op, "Kategori"),
                    "Lintang": _text(lokasi, "Lintang") if lokasi is not None else None,
                    "Bujur": _text(lokasi, "Bujur") if lokasi is not None else None,
                    "NomorHub": _text(op, "NomorHub"),
                    "Status": "BARU",
                }
                self.tickets[number] = ticket
                if key:
                    self._by_key[key] = number
                    self._created_by_key[key] += 1
        return _xml(
            200,
            "<m:SubmitLaporanResponse>"
            + _el("NomorTiket", ticket["NomorTiket"])
            + _el("Status", ticket["Status"])
            + "</m:SubmitLaporanResponse>",
        )

    def _updates(self, op: Any) -> Response:
        raw = _text(op, "Sejak") or "0"
        if not raw.isdigit():
            return _fault("soap:Client", "Sejak harus bilangan")
        start = int(raw)
        with self._lock:
            batch = self.updates[start : start + 50]
        items = "".join(
            "<m:Pembaruan>" + "".join(_el(k, v) for k, v in u.items()) + "</m:Pembaruan>"
            for u in batch
        )
        return _xml(
            200,
            f"<m:GetPembaruanStatusResponse>{items}"
            + _el("Kursor", start + len(batch))
            + "</m:GetPembaruanStatusResponse>",
        )

    def _ping(self, op: Any) -> Response:
        return _xml(200, "<m:PingResponse><m:Versi>SIM-BM 1.4</m:Versi></m:PingResponse>")
