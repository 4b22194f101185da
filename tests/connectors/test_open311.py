"""open311 against the simulated RSUD desk (real HTTP) and respx (edge cases)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from connectors.builtin.open311 import Open311Connector
from connectors.errors import AuthError, PermanentError, TransientError
from connectors.http import build_client
from connectors.testing import sample_complaint
from hub.simulators import RSUDApp
from hub.simulators.configs import rsud_config
from schemas.models import Location, Status

pytestmark = pytest.mark.anyio


@pytest.fixture
async def connector(rsud: RSUDApp) -> AsyncIterator[Open311Connector]:
    c = Open311Connector(rsud_config(rsud, timeout=0.5), build_client(timeout=0.5))
    yield c
    await c.aclose()


async def test_delivery_posts_a_form_with_the_mapped_service_code(
    rsud: RSUDApp, connector: Open311Connector
) -> None:
    complaint = sample_complaint(category="antrean_rs")
    result = await connector.deliver(complaint, idempotency_key="r-1")
    filed = rsud.requests_filed[result.external_ref]
    assert filed["service_code"] == "RSUD-ANT"
    assert (filed["lat"], filed["long"]) == ("-5.31", "105.18")
    assert filed["description"].startswith("Jalan berlubang\n\n")
    assert filed["attribute[nomor_hub]"] == "LPG-2026-000123"
    sent = rsud.requests[-1]
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["idempotency-key"] == "r-1"
    assert "phone" not in sent.body.decode() and "first_name" not in sent.body.decode()


async def test_unmapped_categories_use_the_default_service(
    rsud: RSUDApp, connector: Open311Connector
) -> None:
    result = await connector.deliver(sample_complaint(), idempotency_key="r-2")
    assert rsud.requests_filed[result.external_ref]["service_code"] == "RSUD-UMUM"


async def test_without_default_an_unmapped_category_is_permanent(rsud: RSUDApp) -> None:
    config = rsud_config(rsud)
    del config["default_service_code"]
    async with build_client(timeout=1) as client:
        with pytest.raises(PermanentError, match="no Open311 service_code for category"):
            await Open311Connector(config, client).deliver(sample_complaint(), idempotency_key="k")


async def test_a_bad_api_key_is_an_auth_error_with_the_servers_words(rsud: RSUDApp) -> None:
    config = rsud_config(rsud)
    config["api_key"] = "wrong"
    async with build_client(timeout=1) as client:
        with pytest.raises(AuthError, match="invalid api_key") as caught:
            await Open311Connector(config, client).deliver(sample_complaint(), idempotency_key="k")
    assert caught.value.status_code == 403


async def test_an_unknown_service_code_is_permanent_404(rsud: RSUDApp) -> None:
    config = rsud_config(rsud)
    config["default_service_code"] = "RSUD-XXX"
    async with build_client(timeout=1) as client:
        connector = Open311Connector(config, client)
        with pytest.raises(PermanentError) as caught:
            await connector.deliver(sample_complaint(), idempotency_key="k")
        check = await connector.check()
    assert caught.value.status_code == 404
    assert not check.ok and "RSUD-XXX" in check.detail


async def test_a_complaint_without_location_is_permanent(connector: Open311Connector) -> None:
    with pytest.raises(PermanentError, match="lat/long or an address"):
        await connector.deliver(sample_complaint(location=None), idempotency_key="k")


async def test_an_address_alone_is_enough(rsud: RSUDApp, connector: Open311Connector) -> None:
    complaint = sample_complaint(location=Location(address="Jl. Dr. Rivai No. 6, Bandar Lampung"))
    result = await connector.deliver(complaint, idempotency_key="k")
    assert rsud.requests_filed[result.external_ref]["address_string"].startswith("Jl. Dr. Rivai")


async def test_a_token_answer_is_resolved_to_the_request_id(
    rsud: RSUDApp, connector: Open311Connector
) -> None:
    rsud.answer_with_token = True
    result = await connector.deliver(sample_complaint(), idempotency_key="k")
    assert result.external_ref in rsud.requests_filed
    assert rsud.requests[-1].path.startswith("/open311/v2/tokens/")


async def test_a_lost_answer_then_a_retry_files_one_request(
    rsud: RSUDApp, connector: Open311Connector
) -> None:
    rsud.fail("error", status=504, times=1, after_commit=True)
    with pytest.raises(TransientError):
        await connector.deliver(sample_complaint(), idempotency_key="once")
    await connector.deliver(sample_complaint(), idempotency_key="once")
    assert rsud.records_for_key("once") == 1 and len(rsud.requests_filed) == 1


async def test_polling_maps_extended_statuses_and_moves_the_window(
    rsud: RSUDApp, connector: Open311Connector
) -> None:
    ref = (await connector.deliver(sample_complaint(), idempotency_key="p")).external_ref
    rsud.set_status(ref, "investigating")
    rsud.set_status(ref, "action_scheduled", "Jadwal perbaikan AC ruang tunggu: Senin")
    first = await connector.fetch_updates(None)
    assert [u.status for u in first.updates] == [Status.ACKNOWLEDGED, Status.IN_PROGRESS]
    assert first.cursor == first.updates[-1].occurred_at.isoformat()
    rsud.set_status(ref, "not_councils_responsibility", "Wewenang BPJS Kesehatan")
    second = await connector.fetch_updates(first.cursor)
    # The window is inclusive: the last update seen comes again and is de-duplicated by id.
    assert [u.source_event_id for u in second.updates] == ["rsud-upd-2", "rsud-upd-3"]
    assert second.updates[-1].status is Status.REDIRECTED
    assert rsud.requests[-1].query["start_date"] == first.cursor


# -- respx ---------------------------------------------------------------------------------------
BASE = "https://311.example/v2"


def respx_connector(**overrides: object) -> Open311Connector:
    config: dict[str, object] = {
        "base_url": BASE,
        "api_key": "k",
        "jurisdiction_id": "lampungprov.go.id",
        "service_codes": {"jalan_jembatan": "POTHOLE"},
        "idempotency_field": "attribute[hub_key]",
        "status_map": {"WAITING_PARTS": "in_progress"},
    }
    config.update(overrides)
    return Open311Connector(config, build_client(timeout=1))


async def test_wire_format_and_idempotency_field() -> None:
    with respx.mock:
        route = respx.post(f"{BASE}/requests.json").mock(
            return_value=httpx.Response(200, json=[{"service_request_id": 638344}])
        )
        connector = respx_connector()
        result = await connector.deliver(sample_complaint(), idempotency_key="key-1")
        await connector.aclose()
    assert result.external_ref == "638344"
    form = dict(httpx.QueryParams(route.calls.last.request.content.decode()))
    assert form["service_code"] == "POTHOLE" and form["jurisdiction_id"] == "lampungprov.go.id"
    assert form["attribute[hub_key]"] == "key-1" and form["api_key"] == "k"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"status": "open"}, Status.ACKNOWLEDGED),
        ({"status": "closed"}, Status.RESOLVED),
        ({"status": "FIXED"}, Status.RESOLVED),
        ({"status": "duplicate"}, Status.DUPLICATE),
        ({"status": "no_further_action"}, Status.REJECTED),
        ({"status": "reopen"}, Status.IN_PROGRESS),
        ({"status": "open", "external_status_code": "WAITING_PARTS"}, Status.IN_PROGRESS),
    ],
)
async def test_status_mapping(item: dict[str, str], expected: Status) -> None:
    connector = respx_connector()
    update = connector.update_of(
        {"service_request_id": "1", "update_id": "u", "updated_datetime": "2026-11-29T09:00:00Z"}
        | item
    )
    await connector.aclose()
    assert update.status is expected


async def test_an_unknown_status_is_permanent() -> None:
    connector = respx_connector()
    with pytest.raises(PermanentError, match="unknown status"):
        connector.update_of({"service_request_id": "1", "status": "lost", "updated_datetime": 0})
    await connector.aclose()


async def test_a_timeout_while_polling_is_transient() -> None:
    with respx.mock:
        respx.get(f"{BASE}/servicerequestupdates.json").mock(side_effect=httpx.ReadTimeout("t"))
        connector = respx_connector()
        with pytest.raises(TransientError):
            await connector.fetch_updates("2026-11-29T09:00:00+07:00")
        await connector.aclose()
