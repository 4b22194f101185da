"""Errors a connector raises, so the delivery engine knows whether to retry.

    ConnectorError                 anything a connector could not do
     +-- TransientError            may work later: timeout, connection refused, 5xx, 429
     |    +-- RateLimited          the app asked us to slow down (429, Retry-After)
     |    +-- TimedOut             no answer within the timeout (a gateway answers 504, not 503)
     +-- PermanentError            will never work as sent: 4xx, schema mismatch, bad config
          +-- ConfigError          the connector instance's configuration is wrong
          +-- AuthError            the app refused our credentials (401/403)

A `TransientError` is retried with backoff (honouring `retry_after` seconds when given);
a `PermanentError` goes straight to the dead-letter list.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "ConnectorError",
    "PermanentError",
    "RateLimited",
    "TimedOut",
    "TransientError",
]


class ConnectorError(Exception):
    """Base of every connector failure; `status_code` and `response` help the attempt log."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response = response


class TransientError(ConnectorError):
    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, response=response)
        self.retry_after = retry_after


class RateLimited(TransientError):
    pass


class TimedOut(TransientError):
    pass


class PermanentError(ConnectorError):
    pass


class ConfigError(PermanentError):
    pass


class AuthError(PermanentError):
    pass
