"""The HTTP seam classifies every failure the way the delivery engine needs."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TimedOut,
    TransientError,
)
from connectors.http import (
    build_client,
    classify_exception,
    classify_response,
    json_body,
    parse_retry_after,
    send,
)

URL = "https://opd.example/api"


def response(status: int, headers: dict[str, str] | None = None, body: str = "") -> httpx.Response:
    return httpx.Response(status, headers=headers, text=body, request=httpx.Request("POST", URL))


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_success_is_no_error(status: int) -> None:
    assert classify_response(response(status)) is None


def test_a_redirect_means_a_wrong_url_and_is_permanent() -> None:
    error = classify_response(response(301, {"Location": "https://opd.example/api/"}))
    assert type(error) is PermanentError
    assert "https://opd.example/api/" in str(error)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(status: int) -> None:
    error = classify_response(response(status, body="down"))
    assert type(error) is TransientError
    assert error.status_code == status
    assert error.response == "down"


def test_429_is_rate_limited_with_retry_after_seconds() -> None:
    error = classify_response(response(429, {"Retry-After": "120"}))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 120.0


def test_503_keeps_its_retry_after() -> None:
    error = classify_response(response(503, {"Retry-After": "7"}))
    assert isinstance(error, TransientError)
    assert error.retry_after == 7.0


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_auth_errors(status: int) -> None:
    assert type(classify_response(response(status))) is AuthError


@pytest.mark.parametrize("status", [400, 404, 409, 410, 422])
def test_other_client_errors_are_permanent(status: int) -> None:
    error = classify_response(response(status))
    assert type(error) is PermanentError


def test_long_bodies_are_truncated_for_the_attempt_log() -> None:
    error = classify_response(response(500, body="x" * 10_000))
    assert error is not None and error.response is not None
    assert len(error.response) < 2100


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 29 Nov 2026 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sun, 29 Nov 2026 11:00:00 GMT", now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3"])
def test_unusable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectTimeout("t"), TimedOut),
        (httpx.ReadTimeout("t"), TimedOut),
        (httpx.PoolTimeout("t"), TimedOut),
        (httpx.ConnectError("refused"), TransientError),
        (httpx.RemoteProtocolError("eof"), TransientError),
        (httpx.UnsupportedProtocol("ftp"), PermanentError),
        (ConnectionResetError("reset"), TransientError),
        (ValueError("?"), ConnectorError),
    ],
)
def test_exceptions_are_classified(exc: BaseException, kind: type[ConnectorError]) -> None:
    assert type(classify_exception(exc)) is kind


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_send_raises_classified_errors() -> None:
    with respx.mock:
        respx.post(URL).mock(side_effect=[httpx.Response(503), httpx.ConnectError("no")])
        async with build_client(timeout=1) as client:
            with pytest.raises(TransientError) as first:
                await send(client, "POST", URL)
            assert first.value.status_code == 503
            with pytest.raises(TransientError) as second:
                await send(client, "POST", URL)
            assert second.value.status_code is None


@pytest.mark.anyio
async def test_garbage_from_a_2xx_is_transient() -> None:
    with respx.mock:
        respx.get(URL).mock(return_value=httpx.Response(200, text="<html>oops"))
        async with build_client(timeout=1) as client:
            resp = await send(client, "GET", URL)
            with pytest.raises(TransientError, match="not JSON"):
                json_body(resp)


def test_client_has_bounded_timeouts_on_every_phase() -> None:
    client = build_client(timeout=2.5)
    timeout = client.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (2.5, 2.5, 2.5, 2.5)


def test_error_messages_leave_out_the_query_string() -> None:
    request = httpx.Request("GET", "https://311.example/v2/updates.json?api_key=SECRET&x=1")
    error = classify_response(httpx.Response(500, request=request))
    assert error is not None
    assert "SECRET" not in str(error) and "https://311.example/v2/updates.json" in str(error)
