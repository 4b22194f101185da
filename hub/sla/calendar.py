"""Indonesian working days: Monday to Friday, minus national holidays and cuti bersama.

Government offices close on cuti bersama too, so both count as non-working. The calendar is
data (data/holidays_id.json) that admins edit each year; outside the years it covers only
weekends are known, which `covers()` lets callers detect.

Counting convention (SP4N-LAPOR!'s "n hari kerja"): the day a report arrives does not count;
the deadline is the end of the n-th working day after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "WIB",
    "CalendarError",
    "Holiday",
    "HolidayCalendar",
    "add_working_days",
    "load_calendar",
    "packaged_calendar",
    "parse_calendar",
    "working_days_between",
]

WIB = ZoneInfo("Asia/Jakarta")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KINDS = ("libur_nasional", "cuti_bersama", "libur_daerah")


class CalendarError(ValueError):
    """A holiday file that cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    kind: str
    name_id: str
    name_en: str
    estimate: bool = False  # not yet confirmed by the year's SKB Tiga Menteri


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: Mapping[date, Holiday] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
    years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def covers(self, day: date) -> bool:
        """Whether holidays are known for `day`'s year (else only weekends are)."""
        return day.year in self.years

    def holiday(self, day: date) -> Holiday | None:
        return self.holidays.get(day)

    def with_holidays(self, extra: Iterable[Holiday]) -> HolidayCalendar:
        """A copy with more days off (e.g. a regional holiday or an ad-hoc closure)."""
        merged = dict(self.holidays)
        merged.update({h.day: h for h in extra})
        return HolidayCalendar(merged, self.weekend, self.years)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware (the hub works in UTC and WIB)")
        return value.astimezone(WIB).date()
    return value


def add_working_days(start: date | datetime, n: int, calendar: HolidayCalendar) -> date:
    """The n-th working day after `start` (a datetime is taken in WIB); n=0 gives `start`
    itself if it is a working day, else the next working day."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = _as_date(start)
    if n == 0:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def working_days_between(
    start: date | datetime, end: date | datetime, calendar: HolidayCalendar
) -> int:
    """Working days d with start < d <= end (negative when end is before start), so that
    `working_days_between(s, add_working_days(s, n)) == n` for n >= 1."""
    a, b = _as_date(start), _as_date(end)
    if b < a:
        return -working_days_between(b, a, calendar)
    count, day = 0, a
    # Whole weeks at once: 7 days hold exactly (7 - len(weekend)) weekdays.
    while (b - day).days >= 7:
        week = [day + timedelta(days=i) for i in range(1, 8)]
        count += sum(1 for d in week if calendar.is_working_day(d))
        day += timedelta(days=7)
    while day < b:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def end_of_day(day: date) -> datetime:
    """The last microsecond of `day` in WIB: a deadline on `day` is met until then."""
    return datetime.combine(day, time.max, tzinfo=WIB)


def parse_calendar(data: Any, *, source: str = "<calendar>") -> HolidayCalendar:
    if not isinstance(data, Mapping) or not isinstance(data.get("days"), list):
        raise CalendarError(f"{source}: expected an object with a 'days' list")
    weekend_names = data.get("weekend", ["saturday", "sunday"])
    if not isinstance(weekend_names, list) or any(w not in _WEEKDAYS for w in weekend_names):
        raise CalendarError(f"{source}: 'weekend' must list weekday names ({', '.join(_WEEKDAYS)})")
    holidays: dict[date, Holiday] = {}
    for index, row in enumerate(data["days"]):
        where = f"{source}: days[{index}]"
        if not isinstance(row, Mapping):
            raise CalendarError(f"{where}: must be an object")
        try:
            day = date.fromisoformat(str(row.get("date")))
        except ValueError:
            raise CalendarError(
                f"{where}: 'date' must be YYYY-MM-DD, got {row.get('date')!r}"
            ) from None
        kind = row.get("kind", "libur_nasional")
        if kind not in _KINDS:
            raise CalendarError(f"{where}: 'kind' must be one of {', '.join(_KINDS)}")
        name_id, name_en = row.get("name_id"), row.get("name_en")
        if not isinstance(name_id, str) or not name_id.strip():
            raise CalendarError(f"{where}: 'name_id' is required")
        if day in holidays:
            raise CalendarError(f"{where}: {day} is listed twice")
        estimate = row.get("estimate", False)
        if not isinstance(estimate, bool):
            raise CalendarError(f"{where}: 'estimate' must be true or false")
        english = name_en if isinstance(name_en, str) else ""
        holidays[day] = Holiday(day, kind, name_id, english, estimate)
    years_raw = data.get("years")
    years = (
        frozenset(int(y) for y in years_raw)
        if isinstance(years_raw, list)
        else frozenset(d.year for d in holidays)
    )
    weekend = frozenset(_WEEKDAYS.index(w) for w in weekend_names)
    return HolidayCalendar(holidays, weekend, years)


def load_calendar(path: Path | str) -> HolidayCalendar:
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{p}: cannot read JSON ({exc})") from None
    return parse_calendar(data, source=str(p))


@lru_cache(maxsize=1)
def packaged_calendar() -> HolidayCalendar:
    """The seed calendar shipped with the hub (2026 and 2027)."""
    text = resources.files("hub.sla").joinpath("data", "holidays_id.json").read_text("utf-8")
    return parse_calendar(json.loads(text), source="hub/sla/data/holidays_id.json")
