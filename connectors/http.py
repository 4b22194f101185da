"""The one HTTP seam every connector goes through, and how HTTP failures map to connector errors.

Connectors never build their own client: the hub gives them one (`build_client`), tests give
them one backed by respx or a simulator. `send(client, ...)` runs a request and turns every
failure into the error hierarchy of `connectors.errors`:

    httpx.TimeoutException                          -> TimedOut (a TransientError)
    httpx.TransportError                            -> TransientError
    5xx                                              -> TransientError
    429 (Retry-After: seconds or HTTP-date)          -> RateLimited(retry_after=...)
    3xx (redirects are not followed)                 -> PermanentError
    401, 403                                         -> AuthError
    other 4xx                                        -> PermanentError
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TimedOut,
    TransientError,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "RESPONSE_EXCERPT",
    "build_client",
    "classify_exception",
    "classify_response",
    "describe",
    "excerpt",
    "json_body",
    "parse_retry_after",
    "send",
]

DEFAULT_TIMEOUT = 10.0
# How much of an app's answer an error keeps for the attempt log.
RESPONSE_EXCERPT = 2000


def build_client(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float | None = None,
    max_connections: int = 32,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """A client with a bounded timeout on every phase, so no call can hang the caller."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout or min(timeout, 5.0)),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        headers=dict(headers or {}),
        follow_redirects=False,
    )


def excerpt(text: str, limit: int = RESPONSE_EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(delta, 0.0)


def _body_text(resp: httpx.Response) -> str:
    try:
        return excerpt(resp.text)
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""


def classify_response(resp: httpx.Response) -> ConnectorError | None:
    """The error an HTTP answer means, or None for a success (2xx)."""
    code = resp.status_code
    if code < 300:
        return None
    body = _body_text(resp)
    where = describe(resp.request) if _has_request(resp) else "request"
    message = f"{where} answered HTTP {code}"
    if code < 400:  # connectors do not follow redirects: the configured URL is wrong
        location = resp.headers.get("location", "?")
        return PermanentError(
            f"{message}, a redirect to {location}; configure the final URL",
            status_code=code,
            response=body,
        )
    if code == 429:
        retry_after = parse_retry_after(resp.headers.get("retry-after"))
        return RateLimited(message, status_code=code, response=body, retry_after=retry_after)
    if code >= 500:
        retry_after = parse_retry_after(resp.headers.get("retry-after"))
        return TransientError(message, status_code=code, response=body, retry_after=retry_after)
    if code in (401, 403):
        return AuthError(message, status_code=code, response=body)
    if code == 408:  # the app timed out waiting for us: sending again is fine
        return TransientError(message, status_code=code, response=body)
    return PermanentError(message, status_code=code, response=body)


def describe(request: httpx.Request) -> str:
    """ "METHOD url" without the query string: some APIs (Open311) put keys there."""
    return f"{request.method} {request.url.copy_with(query=None, fragment=None)}"


def _has_request(resp: httpx.Response) -> bool:
    try:
        resp.request  # noqa: B018
    except RuntimeError:
        return False
    return True


def classify_exception(exc: BaseException) -> ConnectorError:
    """The error a failed HTTP exchange means: network trouble is transient, misuse is not."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return TimedOut(f"timed out: {type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.HTTPStatusError):
        found = classify_response(exc.response)
        if found is not None:
            return found
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return PermanentError(f"bad URL: {exc}")
    if isinstance(exc, httpx.TransportError):  # connect errors, protocol errors, proxy errors
        return TransientError(f"cannot reach the app: {type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.DecodingError):
        return TransientError(f"unreadable answer: {exc}")
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return TransientError(f"cannot reach the app: {type(exc).__name__}: {exc}")
    return ConnectorError(f"{type(exc).__name__}: {exc}")


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    **kwargs: Any,
) -> httpx.Response:
    """Run one request; any failure comes out as a classified `ConnectorError`."""
    try:
        resp = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise classify_exception(exc) from exc
    except (TimeoutError, ConnectionError) as exc:
        raise classify_exception(exc) from exc
    error = classify_response(resp)
    if error is not None:
        raise error
    return resp


def json_body(resp: httpx.Response) -> Any:
    """The JSON an app answered; garbage from a 2xx is transient (the key makes a retry safe)."""
    try:
        return json.loads(resp.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TransientError(
            f"{describe(resp.request)} answered HTTP {resp.status_code} "
            f"with a body that is not JSON",
            status_code=resp.status_code,
            response=_body_text(resp),
        ) from exc
