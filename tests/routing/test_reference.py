"""The seed institutions, categories and regions routing relies on."""

from __future__ import annotations

import pytest

from hub.routing import reference


def test_fifteen_regions_each_with_its_government() -> None:
    regions = reference.region_codes()
    assert len(regions) == 15
    assert {"kota-bandar-lampung", "kota-metro", "kab-pesisir-barat"} <= regions
    for code in regions:
        assert reference.institution(code).level == "kabupaten_kota"


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("dlh-kota-bandar-lampung", "kota-bandar-lampung"),
        ("kota-metro", "kota-metro"),
        ("kab-tulang-bawang-barat", "kab-tulang-bawang-barat"),
        ("bmbk-prov", None),
        ("polda-lampung", None),
    ],
)
def test_region_of_institution(code: str, region: str | None) -> None:
    assert reference.region_of(code) == region


def test_categories_and_institutions_load() -> None:
    assert len(reference.category_codes()) == 15
    assert len(reference.institutions()) == 66
    assert reference.categories()["jalan_jembatan"].name_en == "Roads and bridges"
    with pytest.raises(reference.UnknownCode, match="unknown institution code 'x'"):
        reference.institution("x")


def test_gazetteer_names_each_identify_one_region() -> None:
    places = reference.places()
    assert set(places) == reference.region_codes()
    names = [name.lower() for region_names in places.values() for name in region_names]
    assert len(names) == len(set(names))
