"""Possible duplicates: same category, within the radius and the time window, nearest first."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from hub.dedup.geometry import (
    ReportPoint,
    bounding_box,
    candidates,
    haversine_m,
)

T0 = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
# Tugu Adipura, Bandar Lampung; 0.001 degree of latitude is about 111 m.
LAT, LON = -5.4172, 105.2581


def report(
    id: str,
    *,
    dlat: float = 0.0,
    dlon: float = 0.0,
    days: float = 0,
    category: str = "sampah_lingkungan",
) -> ReportPoint:
    return ReportPoint(id, category, LAT + dlat, LON + dlon, T0 - timedelta(days=days))


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((0.0, 0.0), (0.0, 1.0), 111_195),  # one degree on the equator
        ((LAT, LON), (LAT + 0.001, LON), 111),
        ((LAT, LON), (LAT, LON), 0),
        ((-5.4172, 105.2581), (-5.1129, 105.3068), 34_270),  # Bandar Lampung - Metro area
        ((0.0, 179.9995), (0.0, -179.9995), 111),  # across the antimeridian
    ],
)
def test_haversine_distance(a: tuple[float, float], b: tuple[float, float], metres: float) -> None:
    assert haversine_m(*a, *b) == pytest.approx(metres, rel=0.01, abs=1)


@pytest.mark.parametrize("point", [(91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.inf)])
def test_impossible_coordinates_are_refused(point: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        haversine_m(*point, 0.0, 0.0)


def test_candidates_are_same_category_near_and_recent_nearest_first() -> None:
    new = report("new")
    open_reports = [
        report("200m", dlat=0.0018),
        report("50m", dlat=0.00045),
        report("300m-too-far", dlat=0.0027),
        report("other-category", dlat=0.0001, category="jalan_jembatan"),
        report("old", dlat=0.0001, days=31),
        report("new"),  # the report itself
        report("100m", dlon=0.0009),
    ]
    found = candidates(new, open_reports)
    assert [c.report.id for c in found] == ["50m", "100m", "200m"]
    assert found[0].distance_m == pytest.approx(50, abs=1)
    assert found[0].age == timedelta(0)


def test_radius_window_and_limit_are_configurable() -> None:
    new = report("new")
    nearby = [report(f"r{i}", dlat=0.0001 * i, days=i) for i in range(1, 9)]
    assert len(candidates(new, nearby)) == 5
    assert [c.report.id for c in candidates(new, nearby, limit=2)] == ["r1", "r2"]
    assert [c.report.id for c in candidates(new, nearby, window=timedelta(days=2))] == ["r1", "r2"]
    assert [c.report.id for c in candidates(new, nearby, radius_m=25)] == ["r1", "r2"]
    assert candidates(new, nearby, limit=0) == []


def test_equal_distance_prefers_the_older_report() -> None:
    new = report("new")
    found = candidates(
        new, [report("younger", dlat=0.001, days=1), report("older", dlat=-0.001, days=5)]
    )
    assert [c.report.id for c in found] == ["older", "younger"]


def test_window_applies_both_ways_in_time() -> None:
    new = report("new")
    later = ReportPoint("later", "sampah_lingkungan", LAT, LON, T0 + timedelta(days=2))
    assert candidates(new, [later])[0].age == timedelta(days=-2)
    assert candidates(new, [later], window=timedelta(days=1)) == []


@pytest.mark.parametrize(
    "kwargs", [{"radius_m": -1}, {"window": timedelta(days=-1)}, {"limit": -1}]
)
def test_negative_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        candidates(report("new"), [], **kwargs)  # type: ignore[arg-type]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ReportPoint("x", "sampah_lingkungan", LAT, LON, datetime(2026, 1, 1))


def test_bounding_box_contains_the_circle() -> None:
    min_lat, min_lon, max_lat, max_lon = bounding_box(LAT, LON, 250)
    for bearing in range(0, 360, 15):
        lat = LAT + (250 / 111_195) * math.cos(math.radians(bearing)) * 0.999
        lon = (
            LON
            + (250 / (111_195 * math.cos(math.radians(LAT))))
            * math.sin(math.radians(bearing))
            * 0.999
        )
        assert haversine_m(LAT, LON, lat, lon) <= 250
        assert min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
    assert max_lat - min_lat == pytest.approx(2 * 250 / 111_195, rel=0.01)
