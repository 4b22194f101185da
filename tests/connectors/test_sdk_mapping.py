"""Declarative field mappings between our schema and an app's payload."""

from __future__ import annotations

import pytest

from connectors.mapping import MISSING, MappingError, apply_mapping, get_path, set_path
from connectors.minimise import minimise
from connectors.testing import sample_complaint
from schemas.models import Privacy

SOURCE = {
    "title": "Sampah menumpuk",
    "category": "sampah",
    "location": {"lat": -5.4, "lon": 105.2, "address": None},
    "items": [{"id": "a"}, {"id": "b"}],
}


def test_dotted_paths_copy_constants_and_translate() -> None:
    out = apply_mapping(
        {
            "judul": "title",
            "lokasi.lat": "location.lat",
            "lokasi.lng": "location.lon",
            "sumber": {"const": "lampung-in"},
            "kategori": {"path": "category", "map": {"sampah": "SMP"}},
            "pertama": "items.0.id",
        },
        SOURCE,
    )
    assert out == {
        "judul": "Sampah menumpuk",
        "lokasi": {"lat": -5.4, "lng": 105.2},
        "sumber": "lampung-in",
        "kategori": "SMP",
        "pertama": "a",
    }


def test_missing_sources_are_left_out_and_nulls_kept() -> None:
    out = apply_mapping({"a": "nope.deeper", "b": "location.address"}, SOURCE)
    assert out == {"b": None}


def test_defaults_cover_missing_and_untranslatable_values() -> None:
    spec = {"path": "category", "map": {"jalan": "JLN"}, "default": "LAIN"}
    assert apply_mapping({"k": spec}, SOURCE) == {"k": "LAIN"}
    assert apply_mapping({"k": {"path": "absent", "default": 0}}, SOURCE) == {"k": 0}


def test_an_untranslatable_value_without_default_is_an_error() -> None:
    with pytest.raises(MappingError, match="no mapping for value 'sampah'"):
        apply_mapping({"k": {"path": "category", "map": {"jalan": "JLN"}}}, SOURCE)


def test_get_and_set_path() -> None:
    assert get_path(SOURCE, "items.-1.id") == "b"
    assert get_path(SOURCE, "items.9.id") is MISSING
    doc: dict[str, object] = {}
    set_path(doc, "a.b.c", 1)
    assert doc == {"a": {"b": {"c": 1}}}


def test_minimise_keeps_only_the_needed_fields() -> None:
    complaint = sample_complaint()
    out = minimise(complaint, ["title", "location.lat", "contact.name"])
    assert out == {
        "title": "Jalan berlubang",
        "location": {"lat": -5.31},
        "contact": {"name": "Siti"},
    }


def test_minimise_hides_an_anonymous_reporter() -> None:
    complaint = sample_complaint(privacy=Privacy.ANONYMOUS, reporter="sso|123")
    assert "contact" not in minimise(complaint, ["title", "contact.name", "contact.phone"])
    everything = minimise(complaint, None)
    assert "contact" not in everything and "reporter" not in everything
    assert minimise(complaint, ["contact.name"], reveal_anonymous=True) == {
        "contact": {"name": "Siti"}
    }


def test_minimise_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="nik"):
        minimise(sample_complaint(), ["title", "nik"])
