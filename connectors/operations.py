"""Running a synchronous service operation with its contract enforced and a hard deadline.

The hub's `/v1/services/{service}/{operation}` calls `run_operation(...)` and turns a failure
into problem+json with `http_status(error)`: the caller never hangs longer than `deadline`, bad
input is refused before the OPD app is bothered, and an app answering outside its declared
output schema is the app's fault (502), not the caller's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from connectors.base import Connector
from connectors.config import config_problems
from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TimedOut,
    TransientError,
)
from schemas import SchemaProblem

__all__ = [
    "InvalidInput",
    "InvalidOutput",
    "UnknownOperation",
    "http_status",
    "run_operation",
]


class UnknownOperation(PermanentError):
    pass


class InvalidInput(PermanentError):
    """The caller's input does not match the operation's input schema (every problem listed)."""

    def __init__(self, operation: str, problems: list[SchemaProblem]) -> None:
        listing = "; ".join(f"{p.path}: {p.message}" for p in problems)
        super().__init__(f"input of {operation!r} is invalid: {listing}")
        self.problems = problems


class InvalidOutput(PermanentError):
    """The OPD app answered something its operation's output schema does not allow."""

    def __init__(self, operation: str, problems: list[SchemaProblem]) -> None:
        listing = "; ".join(f"{p.path}: {p.message}" for p in problems)
        super().__init__(f"the app's answer to {operation!r} breaks its contract: {listing}")
        self.problems = problems


async def run_operation(
    connector: Connector, operation: str, payload: Mapping[str, Any], *, deadline: float
) -> dict[str, Any]:
    """Validate input, call the app within `deadline` seconds overall, validate the output."""
    operations = connector.available_operations()
    if operation not in operations:
        known = ", ".join(sorted(operations)) or "none"
        raise UnknownOperation(f"no operation {operation!r} (known: {known})", status_code=404)
    spec = operations[operation]
    problems = config_problems(dict(payload), spec.input_schema)
    if problems:
        raise InvalidInput(operation, problems)
    try:
        async with asyncio.timeout(deadline):
            result = await connector.call(operation, payload)
    except TimeoutError as exc:
        raise TimedOut(f"{operation!r} got no answer within {deadline:g} s") from exc
    problems = config_problems(result, spec.output_schema)
    if problems:
        raise InvalidOutput(operation, problems)
    return result


def http_status(error: ConnectorError) -> int:
    """The status a gateway answers for `error` (RFC 9110 semantics for a proxy)."""
    if isinstance(error, InvalidInput):
        return 422
    if isinstance(error, UnknownOperation):
        return 404
    if isinstance(error, TimedOut):
        return 504
    if isinstance(error, TransientError) and error.status_code and error.status_code < 300:
        return 502  # it answered, with something unusable: a bad gateway, not an outage
    if isinstance(error, (RateLimited, TransientError)):
        return 503
    if isinstance(error, AuthError):
        return 502  # our credentials at the app are wrong: not the caller's fault
    if isinstance(error, PermanentError) and error.status_code in (404, 410):
        return 404  # e.g. no vehicle with that plate
    if isinstance(error, PermanentError) and error.status_code in (400, 409, 422):
        return 422  # the app refused the (valid-looking) input
    return 502
