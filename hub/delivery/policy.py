"""The retry policy, in one place (pure: no framework, no clock, no I/O).

Svix's schedule: the first attempt at once, then retries after 5 s, 5 min, 30 min, 2 h, 5 h,
10 h and 10 h (about 27 h in all), each delay drawn with *full jitter* (uniform between zero and
the scheduled delay) so a recovering app is not hit by a thundering herd.  A `Retry-After` from
the app is a floor.  When the budget is spent the message is dead-lettered.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["SVIX_SCHEDULE", "Decision", "RetryPolicy"]

# Seconds before attempt n+1 (index 0 is the first attempt: immediately).
SVIX_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_RETRY_AFTER = 24 * 3600.0  # an app asking for more than a day is treated as a day


@dataclass(frozen=True)
class Decision:
    """After a failed attempt: retry at `retry_at`, or dead-letter (`retry_at` is None)."""

    retry_at: datetime | None
    reason: str

    @property
    def dead(self) -> bool:
        return self.retry_at is None


@dataclass(frozen=True)
class RetryPolicy:
    schedule: Sequence[float] = SVIX_SCHEDULE
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if not self.schedule or any(s < 0 for s in self.schedule):
            raise ValueError("a retry schedule is a non-empty list of delays >= 0 seconds")

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def delay(self, attempts: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after `attempts` failed attempts, or None when the budget is spent."""
        if attempts < 1:
            raise ValueError("attempts counts the failed attempts so far (>= 1)")
        if attempts >= self.max_attempts:
            return None
        base = float(self.schedule[attempts])
        wait = self.rng.uniform(0.0, base) if base > 0 else 0.0
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(float(retry_after), MAX_RETRY_AFTER))
        return wait

    def after_transient(
        self, attempts: int, now: datetime, retry_after: float | None = None
    ) -> Decision:
        wait = self.delay(attempts, retry_after)
        if wait is None:
            return Decision(None, f"retry budget spent after {attempts} attempts")
        return Decision(now + timedelta(seconds=wait), f"retry {attempts + 1} in {wait:.1f}s")

    @staticmethod
    def after_permanent(reason: str) -> Decision:
        return Decision(None, reason)
