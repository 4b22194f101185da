"""Seed reference data (institutions, categories, regions) as plain immutable records.

The lead's catalog seeds the database from the same JSON files; routing rules and triage read
them here so that pure logic can be tested without a database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "Category",
    "Institution",
    "UnknownCode",
    "categories",
    "category_codes",
    "institution",
    "institutions",
    "places",
    "region_codes",
    "region_of",
]

LEVELS = ("provinsi", "kabupaten_kota", "vertikal", "bumn_bumd", "swasta")


class UnknownCode(LookupError):
    """An unknown institution, category or region code."""


@dataclass(frozen=True, slots=True)
class Institution:
    code: str
    name: str
    level: str
    kind: str


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_id: str
    name_en: str
    default_level: str
    keywords: str


def _load(name: str) -> list[dict[str, Any]]:
    text = resources.files("hub.routing").joinpath("data", name).read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


@lru_cache(maxsize=1)
def institutions() -> dict[str, Institution]:
    out: dict[str, Institution] = {}
    for row in _load("institutions.json"):
        inst = Institution(row["code"], row["name"], row["level"], row.get("kind", ""))
        if inst.level not in LEVELS:
            raise ValueError(f"institutions.json: {inst.code}: unknown level {inst.level!r}")
        out[inst.code] = inst
    return out


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    return {
        row["code"]: Category(
            row["code"],
            row["name_id"],
            row["name_en"],
            row.get("default_level", ""),
            row.get("examples_keywords", ""),
        )
        for row in _load("categories.json")
    }


def category_codes() -> frozenset[str]:
    return frozenset(categories())


def institution(code: str) -> Institution:
    try:
        return institutions()[code]
    except KeyError:
        raise UnknownCode(f"unknown institution code {code!r}") from None


@lru_cache(maxsize=1)
def region_codes() -> frozenset[str]:
    """Kabupaten/kota codes: the code of each kab/kota government is its region code."""
    return frozenset(
        code
        for code, inst in institutions().items()
        if inst.level == "kabupaten_kota" and code.startswith(("kab-", "kota-"))
    )


def region_of(institution_code: str) -> str | None:
    """The region a kab/kota institution belongs to (`dlh-kota-bandar-lampung` -> the city)."""
    if institution_code in region_codes():
        return institution_code
    for region in region_codes():
        if institution_code.endswith("-" + region):
            return region
    return None


@lru_cache(maxsize=1)
def places() -> dict[str, tuple[str, ...]]:
    """Place names (kecamatan, towns) that identify one region, from data/places.json."""
    text = resources.files("hub.routing").joinpath("data", "places.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)["places"]
    unknown = sorted(set(raw) - region_codes())
    if unknown:
        raise ValueError(f"places.json: unknown region codes {unknown}")
    return {region: tuple(names) for region, names in raw.items()}
