"""Per-target rate limit as a GCRA token bucket (pure; state is one timestamp on `TargetState`).

GCRA (the generic cell rate algorithm) keeps a single "theoretical arrival time" per target, so
the bucket lives in the target's database row next to the breaker: every worker process sees
the same bucket, and the row lock taken while leasing serialises updates to it.

    interval  = 60 / per_minute            seconds between calls at the steady rate
    tolerance = interval * (burst - 1)     how far ahead of the steady rate a burst may run
    allowed   when tat - now <= tolerance; then tat = max(tat, now) + interval
    refused   otherwise: the caller is *booked* the next free slot (tat - tolerance) and the
              bucket charged for it (tat += interval), so waiting callers get evenly spaced
              slots instead of all retrying at once and being refused again
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Verdict", "take"]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    tat: datetime | None  # the new theoretical arrival time to store (in either case)
    slot: datetime | None  # when refused: the booked moment the call may start


def take(per_minute: int | None, tat: datetime | None, now: datetime, burst: int = 1) -> Verdict:
    """May one call start now under a limit of `per_minute` calls (None: no limit)?"""
    if per_minute is None:
        return Verdict(True, tat, None)
    if per_minute < 1 or burst < 1:
        raise ValueError("a rate limit needs per_minute >= 1 and burst >= 1")
    interval = timedelta(seconds=60.0 / per_minute)
    tolerance = interval * (burst - 1)
    current = tat if tat is not None and tat > now else now
    if current - now > tolerance:
        return Verdict(False, current + interval, current - tolerance)
    return Verdict(True, current + interval, None)
