"""email against the SMTP sink: what the OPD reads, and SMTP's own failure classes."""

from __future__ import annotations

import smtplib

import pytest

from connectors.builtin.smtp_email import EmailConnector, classify_smtp_error
from connectors.errors import AuthError, ConfigError, PermanentError, TimedOut, TransientError
from connectors.testing import sample_complaint
from hub.simulators import SmtpSink
from hub.simulators.configs import email_config
from schemas.models import Privacy

pytestmark = pytest.mark.anyio


async def test_the_report_is_mailed_in_bahasa_indonesia(smtp: SmtpSink) -> None:
    connector = EmailConnector(email_config(smtp))
    result = await connector.deliver(sample_complaint(), idempotency_key="msg-42")
    await connector.aclose()
    (mail,) = smtp.messages
    assert mail.rcpt_to == ("pengaduan@dinsos.lampungprov.go.id",)
    message = mail.message
    assert message["Message-ID"] == result.external_ref
    assert message["Subject"] == "[Lampung-In] Laporan LPG-2026-000123: Jalan berlubang"
    assert message["X-Lampung-In-Tracking"] == "LPG-2026-000123"
    body = message.get_content()
    assert body.startswith("Yth. Dinas Sosial Provinsi Lampung,")
    assert "Laporan warga baru diteruskan" in body
    assert "Natar, kab-lampung-selatan" in body and "-5.31, 105.18" in body
    assert "Waktu lapor / Filed at     : 29-11-2026 15:00 WIB" in body
    assert "https://hub.lampungprov.go.id/opd/laporan/LPG-2026-000123" in body
    assert "Siti" not in body and "+6281234567890" not in body  # contact not included by default


async def test_the_same_key_gives_the_same_message_id(smtp: SmtpSink) -> None:
    connector = EmailConnector(email_config(smtp))
    first = await connector.deliver(sample_complaint(), idempotency_key="k")
    second = await connector.deliver(sample_complaint(), idempotency_key="k")
    other = await connector.deliver(sample_complaint(), idempotency_key="k2")
    assert first.external_ref == second.external_ref != other.external_ref


async def test_contact_is_mailed_only_when_configured_and_never_for_anonymous(
    smtp: SmtpSink,
) -> None:
    config = email_config(smtp) | {"include_contact": True}
    connector = EmailConnector(config)
    await connector.deliver(sample_complaint(), idempotency_key="a")
    await connector.deliver(sample_complaint(privacy=Privacy.ANONYMOUS), idempotency_key="b")
    named, anonymous = (m.message.get_content() for m in smtp.messages)
    assert "Pelapor / Reporter         : Siti / +6281234567890" in named
    assert "Siti" not in anonymous and "dirahasiakan (anonim)" in anonymous


async def test_a_wrong_password_is_an_auth_error(smtp: SmtpSink) -> None:
    connector = EmailConnector(email_config(smtp) | {"password": "wrong"})
    with pytest.raises(AuthError, match="535"):
        await connector.deliver(sample_complaint(), idempotency_key="k")
    check = await connector.check()
    assert not check.ok and "AuthError" in check.detail


async def test_check_logs_in_without_sending(smtp: SmtpSink) -> None:
    check = await EmailConnector(email_config(smtp)).check()
    assert check.ok, check.detail
    assert smtp.messages == []


async def test_a_dropped_connection_is_transient(smtp: SmtpSink) -> None:
    smtp.fail("disconnect", times=1)
    with pytest.raises(TransientError):
        await EmailConnector(email_config(smtp)).deliver(sample_complaint(), idempotency_key="k")


async def test_a_stopped_server_is_transient() -> None:
    sink = SmtpSink().start()
    config = email_config(sink)
    sink.stop()
    with pytest.raises(TransientError, match="cannot reach"):
        await EmailConnector(config).deliver(sample_complaint(), idempotency_key="k")


async def test_starttls_on_a_server_without_it_is_a_config_error(smtp: SmtpSink) -> None:
    connector = EmailConnector(email_config(smtp) | {"security": "starttls"})
    with pytest.raises(ConfigError, match="does not support"):
        await connector.deliver(sample_complaint(), idempotency_key="k")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.id": (550, b"no")}), PermanentError),
        (smtplib.SMTPRecipientsRefused({"a@b.id": (450, b"busy")}), TransientError),
        (smtplib.SMTPDataError(452, b"full"), TransientError),
        (smtplib.SMTPDataError(554, b"spam"), PermanentError),
        (smtplib.SMTPSenderRefused(553, b"bad", "x@y.id"), PermanentError),
        (smtplib.SMTPAuthenticationError(535, b"no"), AuthError),
        (smtplib.SMTPServerDisconnected("gone"), TransientError),
        (TimeoutError("t"), TimedOut),
        (ConnectionRefusedError("r"), TransientError),
    ],
)
def test_smtp_errors_are_classified(exc: BaseException, kind: type[Exception]) -> None:
    assert type(classify_smtp_error(exc)) is kind


def test_email_does_not_claim_status_operations() -> None:
    assert EmailConnector.supports("deliver")
    assert not EmailConnector.supports("parse_webhook")
    assert not EmailConnector.supports("fetch_updates")
