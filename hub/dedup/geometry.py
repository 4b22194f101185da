"""Great-circle distance and duplicate candidates, pure and framework-free.

Staff confirm or dismiss; this module only proposes. The bounding box lets the caller
pre-filter open reports in SQL before the exact haversine check here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_RADIUS_M",
    "DEFAULT_WINDOW",
    "Candidate",
    "ReportPoint",
    "bounding_box",
    "candidates",
    "haversine_m",
]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
DEFAULT_RADIUS_M = 250.0
DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_LIMIT = 5


def _check_point(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"coordinates must be finite numbers, got ({lat}, {lon})")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude must be within [-90, 90], got {lat}")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude must be within [-180, 180], got {lon}")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres along the Earth's surface (spherical model, error < 0.5 %)."""
    _check_point(lat1, lon1)
    _check_point(lat2, lon2)
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) enclosing the circle; for a cheap SQL pre-filter."""
    _check_point(lat, lon)
    if radius_m < 0:
        raise ValueError("radius must not be negative")
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(lat))
    dlon = 180.0 if cos_lat < 1e-9 else min(180.0, dlat / cos_lat)
    return (max(-90.0, lat - dlat), max(-180.0, lon - dlon), min(90.0, lat + dlat),
            min(180.0, lon + dlon))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportPoint:
    """The few facts of a report that duplicate detection needs."""

    id: str
    category: str
    lat: float
    lon: float
    created_at: datetime

    def __post_init__(self) -> None:
        _check_point(self.lat, self.lon)
        if self.created_at.tzinfo is None:
            raise ValueError(f"report {self.id}: created_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Candidate:
    report: ReportPoint
    distance_m: float
    age: timedelta  # how much earlier (positive) or later (negative) than the new report


def candidates(
    new: ReportPoint,
    open_reports: Iterable[ReportPoint],
    *,
    radius_m: float = DEFAULT_RADIUS_M,
    window: timedelta = DEFAULT_WINDOW,
    limit: int = DEFAULT_LIMIT,
) -> list[Candidate]:
    """Open reports of the same category within `radius_m` and `window`, nearest first.

    Ties in distance go to the older report: that is the one citizens should follow.
    """
    if radius_m < 0:
        raise ValueError("radius_m must not be negative")
    if window < timedelta(0):
        raise ValueError("window must not be negative")
    if limit < 0:
        raise ValueError("limit must not be negative")
    found: list[Candidate] = []
    for report in open_reports:
        if report.id == new.id or report.category != new.category:
            continue
        age = new.created_at - report.created_at
        if abs(age) > window:
            continue
        distance = haversine_m(new.lat, new.lon, report.lat, report.lon)
        if distance <= radius_m:
            found.append(Candidate(report=report, distance_m=distance, age=age))
    found.sort(key=lambda c: (c.distance_m, c.report.created_at, c.report.id))
    return found[:limit]
