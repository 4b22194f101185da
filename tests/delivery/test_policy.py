"""The retry policy: Svix's schedule, full jitter, Retry-After as a floor, a budget."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hub.delivery.policy import MAX_RETRY_AFTER, SVIX_SCHEDULE, RetryPolicy

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_the_default_schedule_is_svixs_eight_attempts_over_about_27_hours() -> None:
    assert SVIX_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert RetryPolicy().max_attempts == 8
    assert 26 * 3600 < sum(SVIX_SCHEDULE) < 28 * 3600


def test_each_delay_is_drawn_with_full_jitter_below_its_scheduled_value() -> None:
    policy = RetryPolicy(rng=random.Random(7))
    for attempts in range(1, 8):
        draws = [policy.delay(attempts) for _ in range(200)]
        cap = SVIX_SCHEDULE[attempts]
        assert all(d is not None and 0 <= d <= cap for d in draws)
        assert len({round(d or 0, 6) for d in draws}) > 150  # really random, not a constant
        assert max(d or 0 for d in draws) > cap * 0.9 and min(d or 0 for d in draws) < cap * 0.1


def test_retry_after_from_the_app_is_a_floor_capped_at_a_day() -> None:
    policy = RetryPolicy(rng=random.Random(1))
    assert (policy.delay(1, retry_after=120) or 0) >= 120  # 5 s scheduled, app asked 2 min
    assert policy.delay(1, retry_after=10**9) == MAX_RETRY_AFTER


def test_after_the_budget_the_message_is_dead() -> None:
    policy = RetryPolicy(schedule=(0, 1, 1))
    assert not policy.after_transient(2, NOW).dead
    decision = policy.after_transient(3, NOW)
    assert decision.dead and "3 attempts" in decision.reason


def test_a_retry_is_scheduled_at_now_plus_the_delay() -> None:
    decision = RetryPolicy(schedule=(0, 10), rng=random.Random(3)).after_transient(1, NOW)
    assert decision.retry_at is not None
    assert NOW <= decision.retry_at <= NOW + timedelta(seconds=10)


def test_a_permanent_error_is_dead_at_once() -> None:
    assert RetryPolicy.after_permanent("400 Bad Request").dead


@pytest.mark.parametrize("schedule", [(), (0, -1)])
def test_a_bad_schedule_is_refused(schedule: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="retry schedule"):
        RetryPolicy(schedule=schedule)


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().delay(0)
