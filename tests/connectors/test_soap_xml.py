"""soap_xml against the simulated Bina Marga web service (real HTTP) and respx (edge cases)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from lxml import etree

from connectors.builtin.soap_xml import SOAP11, SOAP12, WSSE, SoapXmlConnector, parse_xml
from connectors.errors import AuthError, PermanentError, TransientError
from connectors.http import build_client
from connectors.testing import sample_complaint
from hub.simulators import BinaMargaApp
from hub.simulators.configs import bina_marga_config
from schemas.models import Status

pytestmark = pytest.mark.anyio


@pytest.fixture
async def connector(bina_marga: BinaMargaApp) -> AsyncIterator[SoapXmlConnector]:
    c = SoapXmlConnector(bina_marga_config(bina_marga, timeout=0.5), build_client(timeout=0.5))
    yield c
    await c.aclose()


async def test_delivery_files_a_ticket_with_nested_elements(
    bina_marga: BinaMargaApp, connector: SoapXmlConnector
) -> None:
    result = await connector.deliver(sample_complaint(), idempotency_key="bm-1")
    ticket = bina_marga.tickets[result.external_ref]
    assert ticket["Judul"] == "Jalan berlubang"
    assert ticket["Kategori"] == "JALAN"
    assert (ticket["Lintang"], ticket["Bujur"]) == ("-5.31", "105.18")
    assert ticket["NomorHub"] == "LPG-2026-000123"
    sent = bina_marga.requests[-1]
    assert sent.headers["soapaction"] == '"urn:binamarga:lampung:laporan:v1/SubmitLaporan"'
    assert sent.headers["content-type"].startswith("text/xml")
    assert b"+6281234567890" not in sent.body  # contact is not in fields_needed


async def test_a_lost_answer_then_a_retry_makes_one_ticket(
    bina_marga: BinaMargaApp, connector: SoapXmlConnector
) -> None:
    bina_marga.fail("timeout", times=1, after_commit=True)
    with pytest.raises(TransientError):
        await connector.deliver(sample_complaint(), idempotency_key="bm-2")
    again = await connector.deliver(sample_complaint(), idempotency_key="bm-2")
    assert bina_marga.records_for_key("bm-2") == 1
    assert list(bina_marga.tickets) == [again.external_ref]


async def test_a_client_fault_is_permanent(bina_marga: BinaMargaApp) -> None:
    config = bina_marga_config(bina_marga)
    del config["deliver"]["fields"]["Judul"]
    async with build_client(timeout=1) as client:
        with pytest.raises(PermanentError, match="Judul") as caught:
            await SoapXmlConnector(config, client).deliver(sample_complaint(), idempotency_key="k")
    assert caught.value.status_code == 500  # SOAP 1.1 faults come as HTTP 500


async def test_wrong_credentials_are_an_auth_error(bina_marga: BinaMargaApp) -> None:
    config = bina_marga_config(bina_marga)
    config["auth"]["password"] = "not-the-password"
    async with build_client(timeout=1) as client:
        connector = SoapXmlConnector(config, client)
        with pytest.raises(AuthError, match="FailedAuthentication"):
            await connector.deliver(sample_complaint(), idempotency_key="k")
        check = await connector.check()
    assert not check.ok and "Autentikasi gagal" in check.detail


async def test_html_instead_of_soap_is_transient(
    bina_marga: BinaMargaApp, connector: SoapXmlConnector
) -> None:
    bina_marga.fail("garbage", times=1)
    with pytest.raises(TransientError, match="not XML"):
        await connector.deliver(sample_complaint(), idempotency_key="k")


async def test_polling_maps_statuses_and_resumes(
    bina_marga: BinaMargaApp, connector: SoapXmlConnector
) -> None:
    ref = (await connector.deliver(sample_complaint(), idempotency_key="p")).external_ref
    bina_marga.set_status(ref, "DIKERJAKAN", "Penambalan dijadwalkan")
    bina_marga.set_status(ref, "BUKAN_KEWENANGAN", "Jalan kabupaten: hubungi PUPR Lampung Selatan")
    batch = await connector.fetch_updates(None)
    assert [u.status for u in batch.updates] == [Status.IN_PROGRESS, Status.REDIRECTED]
    assert batch.updates[0].source_event_id == "BM-UPD-1"
    assert batch.updates[0].occurred_at.utcoffset() is not None  # naive Waktu read as WIB
    assert batch.cursor == "2"
    assert bina_marga.requests[-1].body.count(b"Sejak") == 0  # first poll sends no cursor
    idle = await connector.fetch_updates(batch.cursor)
    assert idle.updates == [] and idle.cursor == "2"
    assert b"<m:Sejak>2</m:Sejak>" in bina_marga.requests[-1].body


# -- respx ---------------------------------------------------------------------------------------
URL = "https://legacy.example/ws"


def respx_connector(version: str = "1.1", auth: str = "basic") -> SoapXmlConnector:
    return SoapXmlConnector(
        {
            "endpoint": URL,
            "namespace": "urn:x",
            "soap_version": version,
            "auth": {"type": auth, "username": "u", "password": "pw-123"},
            "deliver": {
                "operation": "Kirim",
                "fields": {"Judul": "title", "Tag": {"const": ["a", "b"]}},
                "external_ref_path": "Hasil.Nomor",
            },
        },
        build_client(timeout=1),
    )


def answer(inner: str, status: int = 200, env: str = SOAP11) -> httpx.Response:
    body = f'<s:Envelope xmlns:s="{env}"><s:Body>{inner}</s:Body></s:Envelope>'
    return httpx.Response(status, text=body)


async def test_wire_format_basic_auth_and_repeated_elements() -> None:
    with respx.mock:
        route = respx.post(URL).mock(
            return_value=answer(
                '<r:KirimResponse xmlns:r="urn:x"><r:Hasil><r:Nomor>N-9'
                "</r:Nomor></r:Hasil></r:KirimResponse>"
            )
        )
        connector = respx_connector()
        result = await connector.deliver(sample_complaint(), idempotency_key="k")
        await connector.aclose()
    assert result.external_ref == "N-9"
    request = route.calls.last.request
    assert request.headers["authorization"].startswith("Basic ")
    root = parse_xml(request.content)
    (operation,) = root.find(f"{{{SOAP11}}}Body")
    assert operation.tag == "{urn:x}Kirim"
    assert [e.text for e in operation.findall("{urn:x}Tag")] == ["a", "b"]
    assert operation.findtext("{urn:x}Judul") == "Jalan berlubang"


async def test_ws_security_header_carries_the_username_token() -> None:
    connector = respx_connector(auth="ws_security")
    root = etree.fromstring(connector.envelope("Ping", {}))
    token = root.find(f"{{{SOAP11}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    assert token is not None and token.findtext(f"{{{WSSE}}}Username") == "u"
    await connector.aclose()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("soap:Server", TransientError),
        ("soap:Client", PermanentError),
        ("wsse:InvalidSecurity", AuthError),
        ("x:Whatever", TransientError),
    ],
)
async def test_soap11_faults_are_classified(code: str, error: type[Exception]) -> None:
    fault = f"<s:Fault><faultcode>{code}</faultcode><faultstring>no</faultstring></s:Fault>"
    with respx.mock:
        respx.post(URL).mock(return_value=answer(fault, 500))
        connector = respx_connector()
        with pytest.raises(error):
            await connector.deliver(sample_complaint(), idempotency_key="k")
        await connector.aclose()


async def test_soap12_sender_fault_is_permanent_and_content_type_carries_the_action() -> None:
    fault = (
        "<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>"
        '<s:Reason><s:Text xml:lang="id">Data kurang</s:Text></s:Reason></s:Fault>'
    )
    with respx.mock:
        route = respx.post(URL).mock(return_value=answer(fault, 400, env=SOAP12))
        connector = respx_connector(version="1.2")
        with pytest.raises(PermanentError, match="Data kurang"):
            await connector.deliver(sample_complaint(), idempotency_key="k")
        await connector.aclose()
    content_type = route.calls.last.request.headers["content-type"]
    assert (
        content_type.startswith("application/soap+xml") and 'action="urn:x/Kirim"' in content_type
    )


async def test_external_entities_are_never_resolved() -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><r:KirimResponse xmlns:r="urn:x">'
        "<r:Hasil><r:Nomor>&x;</r:Nomor></r:Hasil></r:KirimResponse></s:Body></s:Envelope>"
    )
    with respx.mock:
        respx.post(URL).mock(return_value=httpx.Response(200, text=evil))
        connector = respx_connector()
        with pytest.raises(PermanentError, match=r"Hasil\.Nomor"):
            await connector.deliver(sample_complaint(), idempotency_key="k")
        await connector.aclose()


async def test_a_connection_error_is_transient() -> None:
    with respx.mock:
        respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
        connector = respx_connector()
        with pytest.raises(TransientError):
            await connector.deliver(sample_complaint(), idempotency_key="k")
        await connector.aclose()
