"""rest_json against the simulated DLH and Bapenda apps (real HTTP) and respx (edge cases)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import respx

from connectors.auth import OAuth2ClientCredentials
from connectors.base import WebhookRequest
from connectors.builtin.rest_json import RestJsonConnector
from connectors.config import validate_config
from connectors.errors import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.http import build_client
from connectors.signing import sign
from connectors.testing import sample_complaint
from hub.simulators import BapendaApp, DLHApp
from hub.simulators.base import Request, Response, Route, SimulatedApp, json_response
from hub.simulators.configs import VEHICLE_TAX_OUTPUT, bapenda_config, dlh_config
from schemas.models import Privacy, Status

pytestmark = pytest.mark.anyio


@pytest.fixture
async def dlh_connector(dlh: DLHApp) -> AsyncIterator[RestJsonConnector]:
    connector = RestJsonConnector(dlh_config(dlh, timeout=0.5), build_client(timeout=0.5))
    yield connector
    await connector.aclose()


# -- delivery over real HTTP ---------------------------------------------------------------------
async def test_delivery_maps_fields_and_sends_only_what_dlh_needs(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    result = await dlh_connector.deliver(sample_complaint(), idempotency_key="msg-1")
    assert result.external_ref.startswith("DLH-") and result.status_code == 201
    record = dlh.records[result.external_ref]
    assert record["judul"] == "Jalan berlubang"
    assert record["lokasi"] == {"lat": -5.31, "lng": 105.18, "alamat": None, "kecamatan": "Natar"}
    assert record["kategori"] == "LAINNYA"  # jalan_jembatan is not in DLH's table
    assert record["pelapor"] == {"nama": "Siti"}
    assert record["nomor_hub"] == "LPG-2026-000123" and record["sumber"] == "lampung-in"
    sent = dlh.requests[-1]
    assert sent.headers["idempotency-key"] == "msg-1"
    assert "+6281234567890" not in sent.body.decode()  # the phone is not DLH's business


async def test_an_anonymous_reporter_is_not_revealed(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    complaint = sample_complaint(privacy=Privacy.ANONYMOUS)
    result = await dlh_connector.deliver(complaint, idempotency_key="anon-1")
    assert "pelapor" not in dlh.records[result.external_ref]
    assert "Siti" not in dlh.requests[-1].body.decode()


async def test_a_lost_answer_then_a_retry_creates_exactly_one_record(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    dlh.fail("error", status=502, times=1, after_commit=True)
    with pytest.raises(TransientError):
        await dlh_connector.deliver(sample_complaint(), idempotency_key="msg-7")
    result = await dlh_connector.deliver(sample_complaint(), idempotency_key="msg-7")
    assert dlh.posts_for_key("msg-7") == 2
    assert dlh.records_for_key("msg-7") == 1
    assert list(dlh.records) == [result.external_ref]


async def test_rate_limiting_is_transient_with_retry_after(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    dlh.fail("rate_limit", retry_after="30", times=1)
    with pytest.raises(RateLimited) as caught:
        await dlh_connector.deliver(sample_complaint(), idempotency_key="rl")
    assert caught.value.retry_after == 30.0


async def test_garbage_answers_are_transient(dlh: DLHApp, dlh_connector: RestJsonConnector) -> None:
    dlh.fail("garbage", times=1)
    with pytest.raises(TransientError, match="not JSON"):
        await dlh_connector.deliver(sample_complaint(), idempotency_key="g")


async def test_a_slow_app_within_the_timeout_still_works(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    dlh.fail("slow", delay=0.1, times=1)
    result = await dlh_connector.deliver(sample_complaint(), idempotency_key="slow")
    assert result.external_ref in dlh.records


async def test_a_wrong_api_key_is_an_auth_error_and_check_fails(dlh: DLHApp) -> None:
    config = dlh_config(dlh)
    config["auth"]["key"] = "wrong-key-wrong-key"
    async with build_client(timeout=1) as client:
        connector = RestJsonConnector(config, client)
        with pytest.raises(AuthError) as caught:
            await connector.deliver(sample_complaint(), idempotency_key="k")
        assert caught.value.status_code == 401
        result = await connector.check()
    assert not result.ok and "AuthError" in result.detail


async def test_a_stopped_app_is_transient() -> None:
    app = DLHApp().start()
    config = dlh_config(app)
    app.stop()
    async with build_client(timeout=1) as client:
        with pytest.raises(TransientError, match="cannot reach"):
            await RestJsonConnector(config, client).deliver(sample_complaint(), idempotency_key="k")


# -- OAuth2 client credentials -------------------------------------------------------------------
async def test_oauth2_token_is_fetched_once_and_reused(dlh: DLHApp) -> None:
    async with build_client(timeout=1) as client:
        connector = RestJsonConnector(dlh_config(dlh, auth="oauth2"), client)
        for key in ("a", "b", "c"):
            await connector.deliver(sample_complaint(), idempotency_key=key)
    assert dlh.tokens_issued == 1
    assert all(r.headers.get("authorization", "").startswith("Bearer ") for r in dlh.requests[1:])


async def test_oauth2_token_is_renewed_before_expiry(dlh: DLHApp) -> None:
    now = [1000.0]
    config = dlh_config(dlh, auth="oauth2")
    async with build_client(timeout=1) as client:
        connector = RestJsonConnector(config, client)
        auth = OAuth2ClientCredentials(config["auth"], clock=lambda: now[0])
        connector.auth = auth
        await connector.deliver(sample_complaint(), idempotency_key="a")
        now[0] += dlh.token_lifetime - 60  # still valid
        await connector.deliver(sample_complaint(), idempotency_key="b")
        assert auth.fetches == 1
        now[0] += 40  # within the 30 s safety margin of expiry
        await connector.deliver(sample_complaint(), idempotency_key="c")
        assert auth.fetches == 2


async def test_a_revoked_token_is_replaced_once(dlh: DLHApp) -> None:
    async with build_client(timeout=1) as client:
        connector = RestJsonConnector(dlh_config(dlh, auth="oauth2"), client)
        await connector.deliver(sample_complaint(), idempotency_key="a")
        dlh.revoke_tokens()
        await connector.deliver(sample_complaint(), idempotency_key="b")
    assert dlh.tokens_issued == 2
    assert len(dlh.records) == 2


async def test_refused_client_credentials_are_an_auth_error(dlh: DLHApp) -> None:
    config = dlh_config(dlh, auth="oauth2")
    config["auth"]["client_secret"] = "not-the-secret"
    async with build_client(timeout=1) as client:
        connector = RestJsonConnector(config, client)
        with pytest.raises(AuthError, match="token endpoint refused"):
            await connector.deliver(sample_complaint(), idempotency_key="a")


# -- respx: exact wire format and edge cases -------------------------------------------------------
BASE = "https://dlh.example"


def respx_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base_url": BASE,
        "auth": {"type": "bearer", "token": "tok-123"},
        "headers": {"X-Client": "lampung-in"},
        "deliver": {
            "path": "/reports",
            "mapping": {"title": "title", "where.lat": "location.lat", "src": {"const": 1}},
            "external_ref_path": "result.0.ref",
            "idempotency_header": "X-Request-Id",
        },
    }
    config.update(overrides)
    validate_config(config, RestJsonConnector.config_schema)
    return config


@pytest.fixture
def mocked() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_wire_format_of_a_delivery(mocked: respx.MockRouter) -> None:
    route = mocked.post("/reports").mock(
        return_value=httpx.Response(200, json={"result": [{"ref": 42}]})
    )
    async with build_client() as client:
        result = await RestJsonConnector(respx_config(), client).deliver(
            sample_complaint(), idempotency_key="m-1"
        )
    assert result.external_ref == "42"
    sent = route.calls.last.request
    assert json.loads(sent.content) == {
        "title": "Jalan berlubang",
        "where": {"lat": -5.31},
        "src": 1,
    }
    assert sent.headers["authorization"] == "Bearer tok-123"
    assert sent.headers["x-request-id"] == "m-1"
    assert sent.headers["x-client"] == "lampung-in"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (503, TransientError),
        (400, PermanentError),
        (404, PermanentError),
        (403, AuthError),
        (429, RateLimited),
    ],
)
async def test_status_codes_are_classified(
    mocked: respx.MockRouter, status: int, error: type[Exception]
) -> None:
    mocked.post("/reports").mock(return_value=httpx.Response(status))
    async with build_client() as client:
        with pytest.raises(error):
            await RestJsonConnector(respx_config(), client).deliver(
                sample_complaint(), idempotency_key="m"
            )


async def test_a_read_timeout_is_transient(mocked: respx.MockRouter) -> None:
    mocked.post("/reports").mock(side_effect=httpx.ReadTimeout("slow"))
    async with build_client() as client:
        with pytest.raises(TransientError, match="timed out"):
            await RestJsonConnector(respx_config(), client).deliver(
                sample_complaint(), idempotency_key="m"
            )


async def test_an_answer_without_the_external_ref_is_permanent(mocked: respx.MockRouter) -> None:
    mocked.post("/reports").mock(return_value=httpx.Response(201, json={"ok": True}))
    async with build_client() as client:
        with pytest.raises(PermanentError, match=r"result\.0\.ref"):
            await RestJsonConnector(respx_config(), client).deliver(
                sample_complaint(), idempotency_key="m"
            )


async def test_an_untranslatable_category_is_permanent(mocked: respx.MockRouter) -> None:
    config = respx_config()
    config["deliver"]["mapping"]["cat"] = {"path": "category", "map": {"sampah": "S"}}
    async with build_client() as client:
        with pytest.raises(PermanentError, match="jalan_jembatan"):
            await RestJsonConnector(config, client).deliver(sample_complaint(), idempotency_key="m")


async def test_a_mapping_that_reads_unknown_complaint_fields_is_refused() -> None:
    config = respx_config()
    config["deliver"]["mapping"]["nik"] = "reporter_nik"
    with pytest.raises(ConfigError, match="reporter_nik"):
        RestJsonConnector(config, build_client())


async def test_an_instance_without_deliver_section_is_a_config_error() -> None:
    async with build_client() as client:
        connector = RestJsonConnector({"base_url": BASE}, client)
        with pytest.raises(PermanentError, match="no 'deliver' section"):
            await connector.deliver(sample_complaint(), idempotency_key="m")


# -- webhooks -----------------------------------------------------------------------------------
SECRET = "s3cret-s3cret-s3cret"
WEBHOOK = {
    "secret": SECRET,
    "signature_header": "X-Hub-Signature-256",
    "signature_prefix": "sha256=",
    "events_path": "events",
    "fields": {
        "external_ref": "ref",
        "status": "state",
        "occurred_at": "at",
        "source_event_id": "id",
        "note": "note",
    },
    "status_map": {"WORKING": "in_progress", "DONE": "resolved"},
}


def signed(body: dict[str, Any], secret: str = SECRET) -> WebhookRequest:
    raw = json.dumps(body).encode()
    return WebhookRequest("POST", {"x-hub-signature-256": sign(secret, raw, "sha256=")}, raw)


async def webhook_connector() -> RestJsonConnector:
    return RestJsonConnector(respx_config(webhook=WEBHOOK), build_client())


async def test_a_signed_batch_of_events_becomes_status_updates() -> None:
    connector = await webhook_connector()
    body = {
        "events": [
            {"id": "e1", "ref": "R1", "state": "WORKING", "at": "2026-11-29T10:00:00"},
            {"id": "e2", "ref": "R1", "state": "done", "at": 1796000000, "note": "Beres"},
        ]
    }
    updates = await connector.parse_webhook(signed(body))
    await connector.aclose()
    assert [u.status for u in updates] == [Status.IN_PROGRESS, Status.RESOLVED]
    assert updates[0].occurred_at.utcoffset() is not None  # naive time read as WIB
    assert updates[0].occurred_at.isoformat() == "2026-11-29T10:00:00+07:00"
    assert updates[1].note == "Beres" and updates[1].actor == "rest_json"


async def test_a_wrong_or_missing_signature_is_refused() -> None:
    connector = await webhook_connector()
    body: dict[str, Any] = {"events": []}
    with pytest.raises(AuthError):
        await connector.parse_webhook(signed(body, secret="another-secret-entirely"))
    with pytest.raises(AuthError):
        await connector.parse_webhook(WebhookRequest("POST", {}, json.dumps(body).encode()))
    await connector.aclose()


async def test_unknown_status_and_missing_time_are_permanent() -> None:
    connector = await webhook_connector()
    unknown = {"events": [{"id": "e", "ref": "R", "state": "LOST", "at": "2026-11-29T10:00:00Z"}]}
    with pytest.raises(PermanentError, match="unknown status 'LOST'"):
        await connector.parse_webhook(signed(unknown))
    timeless = {"events": [{"id": "e", "ref": "R", "state": "DONE"}]}
    with pytest.raises(PermanentError, match="no time"):
        await connector.parse_webhook(signed(timeless))
    await connector.aclose()


async def test_an_event_without_id_gets_a_stable_one() -> None:
    connector = await webhook_connector()
    body = {"events": [{"ref": "R", "state": "DONE", "at": "2026-11-29T10:00:00Z"}]}
    first = await connector.parse_webhook(signed(body))
    again = await connector.parse_webhook(signed(body))
    await connector.aclose()
    assert first[0].source_event_id == again[0].source_event_id
    assert first[0].source_event_id.startswith("sha256:")


class Receiver(SimulatedApp):
    """Stands in for the hub's webhook endpoint."""

    name = "receiver"

    def __init__(self) -> None:
        self.received: list[Request] = []
        super().__init__()

    def routes(self) -> list[Route]:
        return [Route("POST", "/webhooks/dlh", self._take)]

    def _take(self, request: Request) -> Response:
        self.received.append(request)
        return json_response({"ok": True}, 202)


async def test_dlh_pushes_a_signed_webhook_over_http(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    ref = (await dlh_connector.deliver(sample_complaint(), idempotency_key="w")).external_ref
    with Receiver() as receiver:
        dlh.webhook_url = f"{receiver.url}/webhooks/dlh"
        dlh.set_status(ref, "SELESAI", "Jalan sudah ditambal")
        (pushed,) = receiver.received
    updates = await dlh_connector.parse_webhook(
        WebhookRequest(pushed.method, pushed.headers, pushed.body)
    )
    assert [(u.external_ref, u.status, u.note) for u in updates] == [
        (ref, Status.RESOLVED, "Jalan sudah ditambal")
    ]


# -- polling ------------------------------------------------------------------------------------
async def test_polling_resumes_from_the_cursor(
    dlh: DLHApp, dlh_connector: RestJsonConnector
) -> None:
    ref = (await dlh_connector.deliver(sample_complaint(), idempotency_key="p")).external_ref
    dlh.set_status(ref, "DIPROSES", push=False)
    first = await dlh_connector.fetch_updates(None)
    assert [u.status for u in first.updates] == [Status.ACKNOWLEDGED] and first.cursor == "1"
    dlh.set_status(ref, "DITINDAKLANJUTI", push=False)
    dlh.set_status(ref, "SELESAI", push=False)
    second = await dlh_connector.fetch_updates(first.cursor)
    assert [u.status for u in second.updates] == [Status.IN_PROGRESS, Status.RESOLVED]
    assert second.cursor == "3"
    idle = await dlh_connector.fetch_updates(second.cursor)
    assert idle.updates == [] and idle.cursor == "3"
    assert dlh.requests[-1].query == {"sejak": "3"}


# -- synchronous operation: Bapenda's vehicle-tax lookup -----------------------------------------
@pytest.fixture
async def bapenda_connector(bapenda: BapendaApp) -> AsyncIterator[RestJsonConnector]:
    connector = RestJsonConnector(bapenda_config(bapenda, timeout=0.5), build_client(timeout=0.5))
    yield connector
    await connector.aclose()


async def test_vehicle_tax_lookup_returns_the_normalised_answer(
    bapenda_connector: RestJsonConnector,
) -> None:
    assert set(bapenda_connector.available_operations()) == {"vehicle_tax"}
    answer = await bapenda_connector.call("vehicle_tax", {"plate": "be 5678 cd"})
    assert answer == {
        "plate": "BE 5678 CD",
        "vehicle": "TOYOTA AVANZA",
        "tax_due": 2100000,
        "penalty": 210000,
        "total_due": 2453000,
        "due_date": "2026-08-01",
        "payment_status": "overdue",
    }
    jsonschema.validate(answer, VEHICLE_TAX_OUTPUT)


async def test_unknown_plate_is_a_permanent_404(bapenda_connector: RestJsonConnector) -> None:
    with pytest.raises(PermanentError) as caught:
        await bapenda_connector.call("vehicle_tax", {"plate": "BE 1 XX"})
    assert caught.value.status_code == 404


async def test_a_hanging_lookup_gives_up_within_the_timeout(
    bapenda: BapendaApp, bapenda_connector: RestJsonConnector
) -> None:
    bapenda.fail("timeout")
    with pytest.raises(TransientError, match="timed out"):
        await bapenda_connector.call("vehicle_tax", {"plate": "BE 1234 AB"})


async def test_an_unknown_operation_is_permanent(bapenda_connector: RestJsonConnector) -> None:
    with pytest.raises(PermanentError, match="no operation 'refund'"):
        await bapenda_connector.call("refund", {})


def test_a_mapping_that_reads_a_field_complaints_do_not_have_is_refused_up_front() -> None:
    config = {
        "base_url": "http://127.0.0.1:9",
        "auth": {"type": "none"},
        "deliver": {"path": "/laporan", "mapping": {"judul": "title", "nik": "nik"}},
    }
    with pytest.raises(ConfigError, match=r"reads fields a complaint does not have: nik"):
        RestJsonConnector(config)
