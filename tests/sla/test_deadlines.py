"""SP4N-LAPOR! service levels: 3 working days to forward, 5 to respond, 10 to resolve."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hub.sla.calendar import WIB, HolidayCalendar
from hub.sla.deadlines import (
    EscalationLevel,
    PolicyError,
    SlaPolicy,
    Stage,
    Timeline,
    default_policy,
    escalation,
    overdue,
    parse_policy,
    stage_clocks,
)

PLAIN = HolidayCalendar()  # weekends only, so the arithmetic below is easy to check


def wib(day: int, hour: int = 10, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=WIB)


MONDAY = wib(8)  # Monday 8 June 2026


def test_default_policy_is_sp4n_lapor() -> None:
    policy = default_policy()
    assert [policy.working_days("jalan_jembatan", s) for s in Stage] == [3, 5, 10]
    assert policy.inspektorat_after == 5


def test_each_stage_clock_starts_when_the_previous_stage_ends() -> None:
    timeline = Timeline(
        received_at=MONDAY, dispatched_at=wib(10), acknowledged_at=wib(16), resolved_at=wib(26)
    )
    clocks = stage_clocks(timeline, "jalan_jembatan", wib(30), calendar=PLAIN)
    assert [(c.stage, c.due_at.date().isoformat(), c.late, c.open) for c in clocks] == [
        (Stage.TRIAGE, "2026-06-11", False, False),  # Mon + 3 = Thu
        (Stage.ACKNOWLEDGEMENT, "2026-06-17", False, False),  # Wed + 5 = next Wed
        (Stage.RESOLUTION, "2026-06-30", False, False),  # Tue 16 + 10 = Tue 30
    ]


def test_the_deadline_is_the_end_of_the_due_day_in_wib() -> None:
    timeline = Timeline(received_at=MONDAY)
    due = stage_clocks(timeline, None, MONDAY, calendar=PLAIN)[0].due_at
    assert due == datetime(2026, 6, 11, 23, 59, 59, 999999, tzinfo=WIB)
    assert overdue(timeline, None, due, calendar=PLAIN) is None
    late = overdue(timeline, None, due + timedelta(microseconds=1), calendar=PLAIN)
    assert late is not None and late.stage is Stage.TRIAGE


@pytest.mark.parametrize(
    ("timeline", "now", "stage"),
    [
        (Timeline(received_at=MONDAY), wib(11), None),
        (Timeline(received_at=MONDAY), wib(12), Stage.TRIAGE),
        (Timeline(received_at=MONDAY, dispatched_at=wib(11)), wib(12), None),
        (Timeline(received_at=MONDAY, dispatched_at=wib(9)), wib(17), Stage.ACKNOWLEDGEMENT),
        (Timeline(MONDAY, wib(9), wib(10)), wib(25), Stage.RESOLUTION),
        (Timeline(MONDAY, wib(9), wib(10), wib(24)), wib(30), None),
        # A redirected or rejected report has no running clock.
        (Timeline(received_at=MONDAY, stopped_at=wib(9)), wib(30), None),
    ],
)
def test_overdue_stage(timeline: Timeline, now: datetime, stage: Stage | None) -> None:
    clock = overdue(timeline, "sampah_lingkungan", now, calendar=PLAIN)
    assert (clock.stage if clock else None) is stage


def test_a_stage_finished_late_is_marked_late_but_not_overdue() -> None:
    timeline = Timeline(received_at=MONDAY, dispatched_at=wib(15))
    triage = stage_clocks(timeline, None, wib(15), calendar=PLAIN)[0]
    assert triage.late and not triage.open
    assert overdue(timeline, None, wib(15), calendar=PLAIN) is None


def test_per_category_overrides() -> None:
    policy = parse_policy(
        {
            "defaults": {"triage": 3, "acknowledgement": 5, "resolution": 10},
            "categories": {"banjir_drainase": {"acknowledgement": 1}},
        }
    )
    timeline = Timeline(received_at=MONDAY, dispatched_at=wib(9))
    assert overdue(timeline, "banjir_drainase", wib(11), policy=policy, calendar=PLAIN) is not None
    assert overdue(timeline, "jalan_jembatan", wib(11), policy=policy, calendar=PLAIN) is None


@pytest.mark.parametrize(
    ("now", "level", "target", "late_days"),
    [
        (wib(11), EscalationLevel.NONE, None, 0),
        (wib(12), EscalationLevel.OPD_HEAD, "opd_head", 1),
        (wib(17), EscalationLevel.OPD_HEAD, "opd_head", 4),
        (wib(18), EscalationLevel.INSPEKTORAT, "inspektorat-prov", 5),
    ],
)
def test_escalation_goes_to_the_opd_head_then_the_inspektorat(
    now: datetime, level: EscalationLevel, target: str | None, late_days: int
) -> None:
    result = escalation(Timeline(received_at=MONDAY), "jalan_jembatan", now, calendar=PLAIN)
    assert (result.level, result.target, result.working_days_late) == (level, target, late_days)
    if level is not EscalationLevel.NONE:
        assert result.stage is Stage.TRIAGE
        assert "11-06-2026" in result.message_id and "11-06-2026" in result.message_en
        assert result.as_dict()["level"] == level.name.lower()


def test_holidays_push_deadlines_with_the_seed_calendar() -> None:
    # Received Tuesday 17 March 2026: Nyepi and the Idul Fitri cuti bersama week follow.
    timeline = Timeline(received_at=wib(17, month=3))
    clock = stage_clocks(timeline, None, wib(17, month=3))[0]
    assert clock.due_at.date().isoformat() == "2026-03-27"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x", "must be an object"),
        ({"defaults": {"triage": 3}}, "must give every stage"),
        (
            {"defaults": {"triage": 3, "acknowledgement": 5, "resolution": 10, "review": 2}},
            "unknown stage 'review'",
        ),
        (
            {"defaults": {"triage": 0, "acknowledgement": 5, "resolution": 10}},
            r"defaults\.triage: must be a whole number",
        ),
        (
            {"defaults": {"triage": 3, "acknowledgement": 5, "resolution": 10}, "categories": []},
            "categories: must be an object",
        ),
        (
            {
                "defaults": {"triage": 3, "acknowledgement": 5, "resolution": 10},
                "inspektorat_after": -1,
            },
            "inspektorat_after",
        ),
    ],
)
def test_bad_policies_are_refused(data: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Timeline(received_at=datetime(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        overdue(Timeline(received_at=MONDAY), None, datetime(2026, 6, 8, 10))


def test_policy_defaults_without_a_file() -> None:
    assert SlaPolicy().working_days(None, Stage.RESOLUTION) == 10
