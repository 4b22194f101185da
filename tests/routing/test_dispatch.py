"""Acceptance, end to end on the pure core: text in, category and institution out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hub.routing.dispatch import assess
from hub.routing.rules import default_rules
from hub.triage.classifier import Classifier
from hub.triage.training import base_examples


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier().train(base_examples())


@pytest.mark.parametrize(
    ("text", "region", "category", "action", "institution"),
    [
        ("Motor saya dicuri di parkiran pasar tadi malam, tolong pak", "kota-metro",
         "kriminal_keamanan", "redirect", "polda-lampung"),
        ("Ada tumpukan sampah menggunung di pinggir jalan, baunya sampai ke rumah",
         "kota-bandar-lampung", "sampah_lingkungan", "route", "dlh-kota-bandar-lampung"),
        ("Jalan provinsi ruas Kotabumi - Bukit Kemuning rusak parah, banyak lubang",
         None, "jalan_jembatan", "route", "bmbk-prov"),
        ("saldo tabungan sy ilang 3jt, bank ga mau tanggung jawab", None,
         "perbankan_keuangan", "redirect", "ojk-lampung"),
        ("listrik padam dari semalam, PLN belum datang", "kab-pesawaran",
         "listrik_pju", "redirect", "pln-uid-lampung"),
    ],
)  # fmt: skip
def test_text_is_triaged_and_routed(
    classifier: Classifier, text: str, region: str | None, category: str, action: str,
    institution: str,
) -> None:  # fmt: skip
    result = assess(text, rules=default_rules(), classifier=classifier, region=region)
    assert result.category_source == "classifier"
    assert result.category == category
    assert (result.routing.action, result.routing.institution) == (action, institution)
    assert not result.manual_review
    assert result.as_dict()["prediction"]["category"] == category


def test_the_channel_category_is_kept(classifier: Classifier) -> None:
    result = assess(
        "tolong segera",
        rules=default_rules(),
        classifier=classifier,
        category="pajak_kendaraan_samsat",
    )
    assert (result.category_source, result.routing.institution) == ("channel", "bapenda-prov")
    assert result.prediction is None and not result.manual_review


def test_a_report_sent_back_is_routed_elsewhere_or_to_a_person() -> None:
    result = assess(
        "tolong segera",
        rules=default_rules(),
        category="pajak_kendaraan_samsat",
        refused_by=frozenset({"bapenda-prov"}),
    )
    assert result.routing.action == "manual" and result.manual_review


@dataclass(frozen=True)
class _Unsure:
    category: str = "jalan_jembatan"
    confidence: float = 0.3
    manual_review: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "confidence": self.confidence}


class _UnsureClassifier:
    def predict(self, text: str, *, threshold: float | None = None) -> _Unsure:
        return _Unsure()


def test_a_low_confidence_suggestion_waits_for_a_person() -> None:
    result = assess(
        "tolong pak", rules=default_rules(), classifier=_UnsureClassifier(), region="kota-metro"
    )
    assert result.manual_review
    assert result.category == "jalan_jembatan"  # shown to staff as the suggestion
    assert result.routing.institution == "kota-metro"


def test_without_classifier_or_category_a_person_decides() -> None:
    result = assess("jalan rusak", rules=default_rules())
    assert (result.category, result.category_source, result.manual_review) == (None, "none", True)
    assert result.routing.action == "manual"


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown category 'roads'"):
        assess("x", rules=default_rules(), category="roads")
