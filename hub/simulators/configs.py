"""Connector instance configs that reach the simulated OPD apps (tests, benchmarks, the demo).

Each function takes a running simulator and answers a config for the matching built-in connector,
so the hub can register e.g. `("rest_json", dlh_config(dlh))` exactly as an OPD developer would.
"""

from __future__ import annotations

from typing import Any, Literal

from hub.simulators.bapenda import BapendaApp
from hub.simulators.bina_marga import NAMESPACE as BM_NAMESPACE
from hub.simulators.bina_marga import BinaMargaApp
from hub.simulators.dlh import DLHApp
from hub.simulators.rsud import RSUDApp
from hub.simulators.smtp import SmtpSink

__all__ = [
    "BINA_MARGA_STATUS_MAP",
    "DLH_STATUS_MAP",
    "bapenda_config",
    "bina_marga_config",
    "dlh_config",
    "email_config",
    "rsud_config",
]

DLH_STATUS_MAP = {
    "DITERIMA": "acknowledged",
    "DIPROSES": "acknowledged",
    "DITINDAKLANJUTI": "in_progress",
    "SELESAI": "resolved",
    "DITOLAK": "rejected",
}

_DLH_EVENT_FIELDS = {
    "external_ref": "laporan_id",
    "status": "status",
    "note": "catatan",
    "occurred_at": "waktu",
    "source_event_id": "event_id",
    "actor": "petugas",
}


def dlh_config(
    app: DLHApp,
    *,
    auth: Literal["api_key", "oauth2", "bearer", "none"] = "api_key",
    timeout: float = 5.0,
) -> dict[str, Any]:
    """`rest_json` config for the DLH app: mapping, auth, webhook and polling."""
    auth_config: dict[str, Any]
    if auth == "api_key":
        auth_config = {"type": "api_key", "header": "X-API-Key", "key": app.api_key}
    elif auth == "oauth2":
        auth_config = {
            "type": "oauth2_client_credentials",
            "token_url": f"{app.url}/oauth/token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
    elif auth == "bearer":
        auth_config = {"type": "bearer", "token": "not-issued-by-dlh"}
    else:
        auth_config = {"type": "none"}
    return {
        "base_url": app.url,
        "timeout": timeout,
        "auth": auth_config,
        "deliver": {
            "path": "/api/v1/laporan",
            "mapping": {
                "judul": "title",
                "isi": "description",
                "kategori": {
                    "path": "category",
                    "map": {"sampah_lingkungan": "LINGKUNGAN", "banjir_drainase": "DRAINASE"},
                    "default": "LAINNYA",
                },
                "lokasi.lat": "location.lat",
                "lokasi.lng": "location.lon",
                "lokasi.alamat": "location.address",
                "lokasi.kecamatan": "location.kecamatan",
                "pelapor.nama": "contact.name",
                "nomor_hub": "tracking_code",
                "sumber": {"const": "lampung-in"},
            },
            "external_ref_path": "data.id",
        },
        "webhook": {
            "secret": app.webhook_secret,
            "signature_header": "X-DLH-Signature",
            "signature_prefix": "sha256=",
            "fields": _DLH_EVENT_FIELDS,
            "status_map": DLH_STATUS_MAP,
        },
        "polling": {
            "path": "/api/v1/pembaruan",
            "cursor_param": "sejak",
            "items_path": "data",
            "next_cursor_path": "kursor",
            "fields": _DLH_EVENT_FIELDS,
            "status_map": DLH_STATUS_MAP,
        },
        "check": {"path": "/api/v1/profil"},
    }


VEHICLE_TAX_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["plate"],
    "additionalProperties": False,
    "properties": {
        "plate": {"type": "string", "pattern": "^[A-Za-z]{1,2} ?[0-9]{1,4} ?[A-Za-z]{0,3}$"}
    },
}

VEHICLE_TAX_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["plate", "tax_due", "total_due", "due_date", "payment_status"],
    "additionalProperties": False,
    "properties": {
        "plate": {"type": "string"},
        "vehicle": {"type": "string"},
        "tax_due": {"type": "integer", "minimum": 0},
        "penalty": {"type": "integer", "minimum": 0},
        "total_due": {"type": "integer", "minimum": 0},
        "due_date": {"type": "string", "format": "date"},
        "payment_status": {"enum": ["unpaid", "overdue", "paid"]},
    },
}


def bapenda_config(app: BapendaApp, *, timeout: float = 3.0) -> dict[str, Any]:
    """`rest_json` config with the `vehicle_tax` operation against the Bapenda app."""
    return {
        "base_url": app.url,
        "timeout": timeout,
        "auth": {"type": "api_key", "header": "X-API-Key", "key": app.api_key},
        "check": {"path": "/api/v1/status"},
        "operations": {
            "vehicle_tax": {
                "description": "Pajak kendaraan bermotor (PKB) / vehicle tax due for a plate",
                "method": "GET",
                "path": "/api/v1/pkb/{plate}",
                "input_schema": VEHICLE_TAX_INPUT,
                "output_schema": VEHICLE_TAX_OUTPUT,
                "response_mapping": {
                    "plate": "data.nopol",
                    "vehicle": "data.merek",
                    "tax_due": "data.pkb_pokok",
                    "penalty": "data.denda",
                    "total_due": "data.total",
                    "due_date": "data.jatuh_tempo",
                    "payment_status": {
                        "path": "data.status_bayar",
                        "map": {"BELUM_BAYAR": "unpaid", "TERLAMBAT": "overdue", "LUNAS": "paid"},
                    },
                },
            }
        },
    }


BINA_MARGA_STATUS_MAP = {
    "BARU": "acknowledged",
    "VERIFIKASI": "acknowledged",
    "DIKERJAKAN": "in_progress",
    "SELESAI": "resolved",
    "DITOLAK": "rejected",
    "BUKAN_KEWENANGAN": "redirected",
}


def bina_marga_config(app: BinaMargaApp, *, timeout: float = 5.0) -> dict[str, Any]:
    """`soap_xml` config for the Bina Marga web service (WS-Security, polled status)."""
    return {
        "endpoint": f"{app.url}/ws/laporan",
        "namespace": BM_NAMESPACE,
        "soap_version": "1.1",
        "timeout": timeout,
        "auth": {"type": "ws_security", "username": app.username, "password": app.password},
        "deliver": {
            "operation": "SubmitLaporan",
            "fields": {
                "Judul": "title",
                "Uraian": "description",
                "Kategori": {
                    "path": "category",
                    "map": {"jalan_jembatan": "JALAN", "drainase": "DRAINASE"},
                    "default": "LAINNYA",
                },
                "Lokasi.Lintang": "location.lat",
                "Lokasi.Bujur": "location.lon",
                "Lokasi.Alamat": "location.address",
                "Lokasi.Kecamatan": "location.kecamatan",
                "NomorHub": "tracking_code",
            },
            "idempotency_element": "KunciIdempotensi",
            "external_ref_path": "NomorTiket",
        },
        "polling": {
            "operation": "GetPembaruanStatus",
            "cursor_element": "Sejak",
            "items_element": "Pembaruan",
            "next_cursor_element": "Kursor",
            "fields": {
                "external_ref": "NomorTiket",
                "status": "Status",
                "note": "Keterangan",
                "occurred_at": "Waktu",
                "source_event_id": "IdPembaruan",
            },
            "status_map": BINA_MARGA_STATUS_MAP,
        },
        "check": {"operation": "Ping"},
    }


def rsud_config(app: RSUDApp, *, timeout: float = 5.0) -> dict[str, Any]:
    """`open311` config for the RSUD complaint desk."""
    return {
        "base_url": app.open311_url,
        "api_key": app.api_key,
        "timeout": timeout,
        "service_codes": {
            "pelayanan_kesehatan": "RSUD-PLY",
            "kebersihan_rs": "RSUD-KBR",
            "antrean_rs": "RSUD-ANT",
        },
        "default_service_code": "RSUD-UMUM",
        "extra_fields": {"attribute[nomor_hub]": "tracking_code"},
    }


def email_config(sink: SmtpSink, *, timeout: float = 5.0) -> dict[str, Any]:
    """`email` config that mails the SMTP sink (plain SMTP on loopback, with AUTH PLAIN)."""
    return {
        "host": sink.host,
        "port": sink.port,
        "security": "none",
        "username": sink.username,
        "password": sink.password,
        "from_address": "lampung-in-hub@lampungprov.go.id",
        "to": ["pengaduan@dinsos.lampungprov.go.id"],
        "opd_name": "Dinas Sosial Provinsi Lampung",
        "status_url": "https://hub.lampungprov.go.id/opd/laporan/{tracking_code}",
        "timeout": timeout,
    }
