"""Circuit breaker per delivery target (pure; state lives in `TargetState` rows).

    closed --(threshold consecutive failures)--> open --(cooldown passes)--> half_open
    half_open --(the single probe succeeds)--> closed
    half_open --(the probe fails)--> open again, with a doubled cooldown (capped)

While open, messages for the target are rescheduled to when it may be probed, without calling
the app; other targets are unaffected.  Only one probe runs at a time (`probe_until` is its lease).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["Admission", "BreakerConfig", "BreakerState", "State", "admit", "failure", "success"]


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerConfig:
    threshold: int = 5  # consecutive failures that open the circuit
    cooldown: float = 30.0  # seconds open before the first probe
    max_cooldown: float = 600.0
    probe_lease: float = 60.0  # how long one probe may take before another may start

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.cooldown <= 0 or self.max_cooldown < self.cooldown:
            raise ValueError("breaker needs threshold >= 1 and 0 < cooldown <= max_cooldown")


@dataclass(frozen=True)
class BreakerState:
    state: State = State.CLOSED
    failures: int = 0
    trips: int = 0
    open_until: datetime | None = None
    probe_until: datetime | None = None


@dataclass(frozen=True)
class Admission:
    allowed: bool
    probe: bool  # this call is the half-open probe
    retry_at: datetime | None  # when not allowed: when to come back
    state: BreakerState  # state to store


def admit(s: BreakerState, now: datetime, cfg: BreakerConfig) -> Admission:
    """May a call go to the target now?"""
    if s.state == State.CLOSED:
        return Admission(True, False, None, s)
    if s.state == State.OPEN and s.open_until is not None and now < s.open_until:
        return Admission(False, False, s.open_until, s)
    if s.state == State.HALF_OPEN and s.probe_until is not None and now < s.probe_until:
        return Admission(False, False, s.probe_until, s)
    # Cooldown over (or the previous probe's lease lapsed): this call is the probe.
    probing = replace(
        s, state=State.HALF_OPEN, probe_until=now + timedelta(seconds=cfg.probe_lease)
    )
    return Admission(True, True, None, probing)


def success(s: BreakerState) -> BreakerState:
    return BreakerState()


def _cooldown(trips: int, cfg: BreakerConfig) -> float:
    return float(min(cfg.cooldown * 2 ** max(trips - 1, 0), cfg.max_cooldown))


def failure(s: BreakerState, now: datetime, cfg: BreakerConfig) -> BreakerState:
    """Record a failed call (transient: timeout, 5xx, refused; not a 4xx about one message)."""
    if s.state == State.HALF_OPEN:
        trips = s.trips + 1
        until = now + timedelta(seconds=_cooldown(trips, cfg))
        return BreakerState(State.OPEN, s.failures + 1, trips, until, None)
    failures = s.failures + 1
    if s.state == State.CLOSED and failures >= cfg.threshold:
        trips = s.trips + 1
        until = now + timedelta(seconds=_cooldown(trips, cfg))
        return BreakerState(State.OPEN, failures, trips, until, None)
    return replace(s, failures=failures)
