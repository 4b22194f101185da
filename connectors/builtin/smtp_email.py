"""`email`: for an OPD without an app, the report is mailed; its staff then set the status in
the hub (the OPD inbox), so this connector neither takes webhooks nor polls.

SMTP runs through stdlib smtplib in a worker thread (every socket operation bounded by
`timeout`). SMTP reply codes classify failures the SMTP way: 4xx and lost connections are
transient, 5xx permanent, 535 an AuthError. The Message-ID is derived from the idempotency key,
so a retried delivery that did reach the mailbox is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from connectors.base import CheckResult, Connector, DeliveryResult
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TimedOut,
    TransientError,
)
from connectors.updates import WIB
from schemas.models import Complaint

__all__ = ["EmailConnector", "classify_smtp_error", "render_report"]

_EMAIL = {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "E-mail (SMTP) connector",
    "type": "object",
    "required": ["host", "from_address", "to"],
    "additionalProperties": False,
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 587},
        "security": {"enum": ["starttls", "ssl", "none"], "default": "starttls"},
        "username": {"type": "string"},
        "password": {"type": "string", "writeOnly": True},
        "from_address": _EMAIL,
        "to": {"type": "array", "items": _EMAIL, "minItems": 1, "maxItems": 20},
        "cc": {"type": "array", "items": _EMAIL, "maxItems": 20},
        "opd_name": {"type": "string", "description": "Greeting, e.g. Dinas Sosial."},
        "subject_prefix": {"type": "string", "default": "[Lampung-In]"},
        "status_url": {
            "type": "string",
            "pattern": "^https?://",
            "description": "Where staff update the status; {tracking_code} is filled in.",
        },
        "include_contact": {
            "type": "boolean",
            "default": False,
            "description": "Mail the reporter's contact details (never for anonymous reports).",
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 15},
    },
}

_BASE_FIELDS = frozenset(
    {"id", "tracking_code", "title", "description", "category", "location", "attachments"}
    | {"created_at", "privacy"}
)


def classify_smtp_error(exc: BaseException) -> ConnectorError:
    """SMTP's own classes: 4xx and broken connections retry, 5xx never, 535 is credentials."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return AuthError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = ", ".join(f"{r}: {c}" for r, (c, _) in exc.recipients.items())
        if any(400 <= c < 500 for c in codes):
            return TransientError(f"recipients deferred ({detail})", status_code=min(codes))
        return PermanentError(f"recipients refused ({detail})", status_code=max(codes))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ConfigError(f"the SMTP server does not support this: {exc}")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return TransientError(f"SMTP connection lost: {exc}")
    if isinstance(exc, smtplib.SMTPResponseException):
        message = f"SMTP server answered {exc.smtp_code}: {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            return TransientError(message, status_code=exc.smtp_code)
        return PermanentError(message, status_code=exc.smtp_code)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConfigError(f"the SMTP server's certificate is not trusted: {exc}")
    if isinstance(exc, TimeoutError):
        return TimedOut(f"the SMTP server did not answer in time: {exc}")
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return TransientError(f"cannot reach the SMTP server: {type(exc).__name__}: {exc}")
    return ConnectorError(f"{type(exc).__name__}: {exc}")


def _when(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")


def render_report(doc: Mapping[str, Any], *, opd_name: str, status_url: str | None) -> str:
    """The mail body, in Bahasa Indonesia with English for the key lines."""
    location = doc.get("location") or {}
    place = ", ".join(
        str(location[k]) for k in ("address", "kelurahan", "kecamatan", "region") if location.get(k)
    )
    lat, lon = location.get("lat"), location.get("lon")
    lines = [
        f"Yth. {opd_name},",
        "",
        "Laporan warga baru diteruskan kepada Anda melalui Lampung-In Hub.",
        "(A new citizen report has been forwarded to you through Lampung-In Hub.)",
        "",
        f"Nomor laporan / Report no. : {doc['tracking_code']}",
        f"Judul / Title              : {doc['title']}",
        f"Kategori / Category        : {doc.get('category') or '-'}",
    ]
    if doc.get("created_at"):
        lines.append(
            f"Waktu lapor / Filed at     : {_when(datetime.fromisoformat(doc['created_at']))}"
        )
    lines.append(f"Lokasi / Location          : {place or '-'}")
    if lat is not None and lon is not None:
        lines.append(f"Koordinat / Coordinates    : {lat}, {lon}")
        lines.append(
            f"Peta / Map                 : https://www.openstreetmap.org/?mlat={lat}&mlon={lon}"
        )
    if doc.get("privacy") == "anonymous":
        lines.append("Pelapor / Reporter         : dirahasiakan (anonim) / withheld (anonymous)")
    elif doc.get("contact"):
        contact = doc["contact"]
        who = " / ".join(str(contact[k]) for k in ("name", "phone", "email") if contact.get(k))
        lines.append(f"Pelapor / Reporter         : {who}")
    lines += ["", "Uraian / Description:", str(doc["description"]), ""]
    attachments = doc.get("attachments") or []
    if attachments:
        lines.append("Lampiran / Attachments:")
        lines += [f"  - {a['url']}" for a in attachments]
        lines.append("")
    lines.append("Tindak lanjut / Follow-up:")
    if status_url:
        lines.append(
            "Perbarui status laporan ini di Lampung-In Hub / Update its status in the hub:"
        )
        lines.append(status_url.replace("{tracking_code}", str(doc["tracking_code"])))
    else:
        lines.append("Perbarui status laporan ini di kotak masuk OPD pada Lampung-In Hub.")
    lines += [
        "Membalas email ini tidak mengubah status laporan.",
        "(Replying to this e-mail does not change the report's status.)",
    ]
    return "\n".join(lines) + "\n"


class EmailConnector(Connector):
    name = "email"
    version = "1.0.0"
    description = "E-mail (SMTP) for an OPD without an app; staff set the status in the hub"
    config_schema = CONFIG_SCHEMA
    fields_needed = _BASE_FIELDS | {"contact"}

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.timeout = float(self.config.get("timeout", 15))

    def needed_fields(self) -> frozenset[str]:
        if self.config.get("include_contact", False):
            return _BASE_FIELDS | {"contact"}
        return _BASE_FIELDS

    def message(self, complaint: Complaint, idempotency_key: str) -> EmailMessage:
        doc = self.minimised(complaint)
        msg = EmailMessage()
        prefix = str(self.config.get("subject_prefix", "[Lampung-In]"))
        msg["Subject"] = f"{prefix} Laporan {complaint.tracking_code}: {complaint.title}"
        msg["From"] = str(self.config["from_address"])
        msg["To"] = ", ".join(self.config["to"])
        if self.config.get("cc"):
            msg["Cc"] = ", ".join(self.config["cc"])
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@hub.lampungprov.go.id>"
        msg["X-Lampung-In-Tracking"] = complaint.tracking_code
        msg.set_content(
            render_report(
                doc,
                opd_name=str(self.config.get("opd_name") or "Admin OPD"),
                status_url=self.config.get("status_url"),
            )
        )
        return msg

    def _connect(self) -> smtplib.SMTP:
        host, security = str(self.config["host"]), self.config.get("security", "starttls")
        port = int(self.config.get("port", 465 if security == "ssl" else 587))
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.config.get("username"):
                smtp.login(str(self.config["username"]), str(self.config.get("password", "")))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send(self, msg: EmailMessage) -> str:
        smtp = self._connect()
        try:
            smtp.send_message(msg)
            with contextlib.suppress(smtplib.SMTPServerDisconnected):
                smtp.quit()  # delivered already; a lost goodbye does not matter
        finally:
            smtp.close()
        return str(msg["Message-ID"])

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        msg = self.message(complaint, idempotency_key)
        try:
            message_id = await asyncio.to_thread(self._send, msg)
        except Exception as exc:
            raise classify_smtp_error(exc) from exc
        return DeliveryResult(message_id, 250, f"mailed to {msg['To']}")

    def _probe(self) -> None:
        smtp = self._connect()
        try:
            smtp.noop()
            smtp.quit()
        finally:
            smtp.close()

    async def check(self) -> CheckResult:
        try:
            await asyncio.to_thread(self._probe)
        except Exception as exc:
            error = classify_smtp_error(exc)
            return CheckResult(False, f"{type(error).__name__}: {error}")
        return CheckResult(True, f"SMTP {self.config['host']} accepted the login")
