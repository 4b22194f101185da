"""The circuit breaker, as a pure state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.delivery.breaker import BreakerConfig, BreakerState, State, admit, failure, success

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CFG = BreakerConfig(threshold=3, cooldown=30, max_cooldown=100, probe_lease=10)


def after_failures(n: int, at: datetime = T0) -> BreakerState:
    s = BreakerState()
    for _ in range(n):
        s = failure(s, at, CFG)
    return s


def test_closed_admits_everything_until_the_threshold() -> None:
    s = after_failures(2)
    assert s.state == State.CLOSED and admit(s, T0, CFG).allowed


def test_threshold_consecutive_failures_open_it_for_the_cooldown() -> None:
    s = after_failures(3)
    assert s.state == State.OPEN and s.open_until == T0 + timedelta(seconds=30)
    refused = admit(s, T0 + timedelta(seconds=29), CFG)
    assert not refused.allowed and refused.retry_at == s.open_until


def test_a_success_resets_the_count() -> None:
    s = success(after_failures(2))
    assert failure(s, T0, CFG).state == State.CLOSED


def test_after_the_cooldown_exactly_one_probe_is_let_through() -> None:
    s = after_failures(3)
    later = T0 + timedelta(seconds=31)
    probe = admit(s, later, CFG)
    assert probe.allowed and probe.probe and probe.state.state == State.HALF_OPEN
    second = admit(probe.state, later, CFG)
    assert not second.allowed and second.retry_at == later + timedelta(seconds=10)


def test_a_probe_that_never_reports_back_lets_another_probe_through_after_its_lease() -> None:
    probing = admit(after_failures(3), T0 + timedelta(seconds=31), CFG).state
    assert admit(probing, T0 + timedelta(seconds=42), CFG).probe


def test_a_successful_probe_closes_the_circuit() -> None:
    probing = admit(after_failures(3), T0 + timedelta(seconds=31), CFG).state
    assert success(probing) == BreakerState()


def test_a_failed_probe_reopens_with_a_doubled_cooldown_up_to_the_cap() -> None:
    s = after_failures(3)
    at = T0
    cooldowns = []
    for _ in range(4):
        at = (s.open_until or at) + timedelta(seconds=1)
        probing = admit(s, at, CFG).state
        s = failure(probing, at, CFG)
        assert s.state == State.OPEN and s.open_until is not None
        cooldowns.append((s.open_until - at).total_seconds())
    assert cooldowns == [60, 100, 100, 100]


def test_nonsense_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        BreakerConfig(threshold=0)
    with pytest.raises(ValueError):
        BreakerConfig(cooldown=10, max_cooldown=5)
