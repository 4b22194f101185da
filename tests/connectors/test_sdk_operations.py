"""Service operations: contract enforced on both sides, bounded time, gateway status codes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from connectors.builtin.rest_json import RestJsonConnector
from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TimedOut,
    TransientError,
)
from connectors.http import build_client
from connectors.operations import (
    InvalidInput,
    InvalidOutput,
    UnknownOperation,
    http_status,
    run_operation,
)
from hub.simulators import BapendaApp
from hub.simulators.configs import bapenda_config

pytestmark = pytest.mark.anyio


@pytest.fixture
async def connector(bapenda: BapendaApp) -> AsyncIterator[RestJsonConnector]:
    # The app's own timeout is generous; the operation deadline must still win.
    c = RestJsonConnector(bapenda_config(bapenda, timeout=5.0), build_client(timeout=5.0))
    yield c
    await c.aclose()


async def test_a_lookup_returns_the_normalised_answer(connector: RestJsonConnector) -> None:
    answer = await run_operation(connector, "vehicle_tax", {"plate": "BE 1234 AB"}, deadline=1)
    assert answer["payment_status"] == "unpaid" and answer["total_due"] == 385000


async def test_bad_input_never_reaches_the_app(
    bapenda: BapendaApp, connector: RestJsonConnector
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await run_operation(connector, "vehicle_tax", {"plate": "??", "x": 1}, deadline=1)
    paths = {p.path for p in caught.value.problems}
    assert {"$", "$.plate"} <= paths
    assert bapenda.requests == []
    assert http_status(caught.value) == 422


async def test_an_answer_outside_the_output_schema_is_a_502(
    bapenda: BapendaApp, connector: RestJsonConnector
) -> None:
    bapenda.vehicles["BE1234AB"]["status_bayar"] = "LUNAS"
    bapenda.vehicles["BE1234AB"]["total"] = -5
    with pytest.raises(InvalidOutput, match="total_due") as caught:
        await run_operation(connector, "vehicle_tax", {"plate": "BE 1234 AB"}, deadline=1)
    assert http_status(caught.value) == 502


async def test_a_hanging_app_is_a_504_within_the_deadline(
    bapenda: BapendaApp, connector: RestJsonConnector
) -> None:
    bapenda.fail("timeout")
    started = time.monotonic()
    with pytest.raises(TimedOut) as caught:
        await run_operation(connector, "vehicle_tax", {"plate": "BE 1234 AB"}, deadline=0.3)
    assert time.monotonic() - started < 1.5
    assert http_status(caught.value) == 504


async def test_an_app_that_is_down_is_a_503() -> None:
    app = BapendaApp().start()
    config = bapenda_config(app)
    app.stop()
    async with build_client(timeout=1) as client:
        with pytest.raises(TransientError) as caught:
            await run_operation(
                RestJsonConnector(config, client), "vehicle_tax", {"plate": "BE 1 A"}, deadline=1
            )
    assert http_status(caught.value) == 503


async def test_unknown_plate_and_unknown_operation_are_404(connector: RestJsonConnector) -> None:
    with pytest.raises(PermanentError) as plate:
        await run_operation(connector, "vehicle_tax", {"plate": "BE 9 ZZ"}, deadline=1)
    assert http_status(plate.value) == 404
    with pytest.raises(UnknownOperation, match="known: vehicle_tax") as op:
        await run_operation(connector, "refund", {}, deadline=1)
    assert http_status(op.value) == 404


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RateLimited("slow down", retry_after=3), 503),
        (AuthError("our key expired", status_code=401), 502),
        (PermanentError("refused", status_code=400), 422),
        (PermanentError("gone", status_code=500), 502),
        (ConnectorError("?"), 502),
    ],
)
def test_gateway_status_codes(error: ConnectorError, status: int) -> None:
    assert http_status(error) == status
