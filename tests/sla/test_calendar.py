"""Working days in Indonesia: weekends, national holidays and cuti bersama are days off."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hub.sla.calendar import (
    WIB,
    CalendarError,
    Holiday,
    HolidayCalendar,
    add_working_days,
    load_calendar,
    packaged_calendar,
    parse_calendar,
    working_days_between,
)

CAL = packaged_calendar()
PLAIN = HolidayCalendar()  # weekends only


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 6, 10), True),  # a Wednesday
        (date(2026, 6, 13), False),  # Saturday
        (date(2026, 6, 14), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 8, 17), False),  # Independence Day, a Monday
        (date(2026, 12, 24), False),  # cuti bersama
        (date(2026, 3, 23), False),  # cuti bersama Idul Fitri
        (date(2026, 3, 25), True),
    ],
)
def test_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 6, 8), 3, date(2026, 6, 11)),  # Mon + 3 = Thu
        (date(2026, 6, 11), 3, date(2026, 6, 17)),  # Thu + 3: Fri, (Tue 16 Jun holiday) Mon, Wed
        (date(2026, 6, 13), 1, date(2026, 6, 15)),  # from a Saturday
        (date(2026, 3, 17), 3, date(2026, 3, 27)),  # across Nyepi and the Idul Fitri week
        (date(2026, 12, 23), 5, date(2027, 1, 4)),  # Christmas, cuti bersama, New Year
        (date(2026, 6, 10), 0, date(2026, 6, 10)),
        (date(2026, 6, 13), 0, date(2026, 6, 15)),  # n=0 on a day off: next working day
        (date(2026, 5, 13), 10, date(2026, 6, 3)),  # Ascension, Idul Adha, Pancasila Day
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, CAL) == expected
    if n:
        assert working_days_between(start, expected, CAL) == n


def test_datetimes_count_in_wib() -> None:
    # 18:00 UTC on Friday 12 June is already Saturday 13 June 01:00 in Jakarta.
    friday_evening_utc = datetime(2026, 6, 12, 18, 0, tzinfo=UTC)
    assert add_working_days(friday_evening_utc, 1, CAL) == date(2026, 6, 15)
    assert add_working_days(datetime(2026, 6, 12, 16, 0, tzinfo=UTC), 1, CAL) == date(2026, 6, 15)
    assert add_working_days(datetime(2026, 6, 12, 10, 0, tzinfo=WIB), 1, CAL) == date(2026, 6, 15)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2026, 6, 12, 10, 0), 1, CAL)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 6, 8), date(2026, 6, 8), 0),
        (date(2026, 6, 8), date(2026, 6, 15), 5),
        (date(2026, 6, 15), date(2026, 6, 8), -5),
        # 261 weekdays in 2026, 21 of them holidays or cuti bersama in the seed data
        (date(2026, 1, 1), date(2026, 12, 31), 261 - 21),
        (date(2026, 6, 1), date(2026, 6, 30), 20),
    ],
)
def test_working_days_between(start: date, end: date, days: int) -> None:
    assert working_days_between(start, end, CAL) == days


def test_long_spans_agree_with_day_by_day_counting() -> None:
    start = date(2026, 1, 1)
    for n in (1, 7, 30, 120, 400):
        end = add_working_days(start, n, CAL)
        assert working_days_between(start, end, CAL) == n


def test_weekends_only_calendar() -> None:
    assert working_days_between(date(2026, 1, 1), date(2026, 12, 31), PLAIN) == 261 - 1
    assert not PLAIN.covers(date(2026, 1, 1))


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 1, 5), -1, CAL)


def test_seed_calendar_covers_2026_and_2027_only() -> None:
    assert CAL.covers(date(2026, 5, 1)) and CAL.covers(date(2027, 12, 31))
    assert not CAL.covers(date(2028, 1, 1))
    kinds = {h.kind for h in CAL.holidays.values()}
    assert kinds == {"libur_nasional", "cuti_bersama"}
    assert all(h.name_id for h in CAL.holidays.values())
    assert {h.day.year for h in CAL.holidays.values() if h.estimate} == {2027}


def test_a_regional_holiday_can_be_added() -> None:
    extra = Holiday(date(2026, 6, 10), "libur_daerah", "Libur daerah", "Regional holiday")
    cal = CAL.with_holidays([extra])
    assert not cal.is_working_day(date(2026, 6, 10))
    assert CAL.is_working_day(date(2026, 6, 10))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object"),
        (
            {"days": [{"date": "2026-13-01", "name_id": "x"}]},
            r"days\[0\]: 'date' must be YYYY-MM-DD",
        ),
        ({"days": [{"date": "2026-01-01"}]}, "'name_id' is required"),
        ({"days": [{"date": "2026-01-01", "name_id": "x", "kind": "party"}]}, "'kind' must be"),
        (
            {
                "days": [
                    {"date": "2026-01-01", "name_id": "x"},
                    {"date": "2026-01-01", "name_id": "y"},
                ]
            },
            r"days\[1\]: 2026-01-01 is listed twice",
        ),
        ({"days": [], "weekend": ["caturday"]}, "'weekend' must list weekday names"),
        ({"days": [{"date": "2026-01-01", "name_id": "x", "estimate": "maybe"}]}, "'estimate'"),
    ],
)
def test_bad_calendars_are_refused(data: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_calendar(data)


def test_custom_weekend_and_file_loading(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"weekend": ["friday"], "days": []}), "utf-8")
    cal = load_calendar(path)
    assert cal.is_working_day(date(2026, 6, 13)) and not cal.is_working_day(date(2026, 6, 12))
    with pytest.raises(CalendarError, match="no such file"):
        load_calendar(tmp_path / "none.json")
