"""Send one signed webhook; classify the answer for the delivery engine.

2xx delivered; 410 Gone: the endpoint is disabled (EndpointGone, dead-lettered);
429/502/503/504: slow down (RateLimited, honouring Retry-After); other 5xx, timeouts and
connection errors: TransientError; other 4xx: PermanentError.  A connection reset before any
byte came back is retried at once a couple of times (tenacity): it is usually a stale pooled
connection, not a sick subscriber.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parsedate_to_datetime

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from connectors import DeliveryResult
from connectors.errors import PermanentError, RateLimited, TransientError
from hub.db import utcnow
from hub.notifications.signing import headers_for

__all__ = ["SLOW_DOWN", "EndpointGone", "parse_retry_after", "send"]

SLOW_DOWN = frozenset({429, 502, 503, 504})
DEFAULT_SLOW_DOWN = 60.0


class EndpointGone(PermanentError):
    """The subscriber answered 410: disable the subscription."""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - utcnow()).total_seconds(), 0.0)


async def send(
    client: httpx.AsyncClient,
    url: str,
    *,
    event_id: str,
    body: str,
    secrets: Sequence[str],
    max_chars: int = 2000,
) -> DeliveryResult:
    raw = body.encode()
    headers = headers_for(secrets, event_id, raw)
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((httpx.RemoteProtocolError, httpx.ReadError)),
            stop=stop_after_attempt(3),
            wait=wait_fixed(0.05),
            reraise=True,
        ):
            with attempt:
                response = await client.post(url, content=raw, headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientError(f"timeout: {exc!r}") from exc
    except httpx.HTTPError as exc:
        raise TransientError(f"connection error: {exc!r}") from exc
    code, text = response.status_code, response.text[:max_chars]
    if 200 <= code < 300:
        return DeliveryResult(external_ref=event_id, status_code=code, response=text)
    if code == 410:
        raise EndpointGone("subscriber answered 410 Gone", status_code=code, response=text)
    if code in SLOW_DOWN:
        wait = parse_retry_after(response.headers.get("retry-after")) or DEFAULT_SLOW_DOWN
        raise RateLimited(f"slow down ({code})", status_code=code, response=text, retry_after=wait)
    if code >= 500:
        raise TransientError(f"server error {code}", status_code=code, response=text)
    raise PermanentError(f"refused with {code}", status_code=code, response=text)
