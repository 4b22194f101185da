"""The hub's model: trained from corpus + admin decisions, saved, and reused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.triage.classifier import Classifier
from hub.triage.corpus import Example, handwritten_examples, packaged_corpus
from hub.triage.training import (
    base_examples,
    base_fingerprint,
    decisions_path,
    default_classifier,
    model_path,
    record_decision,
    reset_default_classifier,
    stored_decisions,
    train_default,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    reset_default_classifier()
    yield
    reset_default_classifier()


def test_admin_decisions_are_kept_as_examples(tmp_path: Path) -> None:
    assert stored_decisions(tmp_path) == []
    record_decision("tiang reklame roboh menutup trotoar", "ketertiban_umum", tmp_path)
    record_decision("aspal ngelupas", "jalan_jembatan", tmp_path)
    assert stored_decisions(tmp_path) == [
        Example("tiang reklame roboh menutup trotoar", "ketertiban_umum"),
        Example("aspal ngelupas", "jalan_jembatan"),
    ]
    assert decisions_path(tmp_path).read_text("utf-8").count("\n") == 2


@pytest.mark.parametrize(
    ("text", "category", "message"),
    [(" ", "jalan_jembatan", "empty"), ("jalan", "roads", "unknown category")],
)
def test_bad_decisions_are_refused(tmp_path: Path, text: str, category: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record_decision(text, category, tmp_path)
    assert not decisions_path(tmp_path).exists()


def test_retraining_learns_from_decisions_and_extra_pairs(tmp_path: Path) -> None:
    # A made-up word the corpus never uses: only the new examples can teach it.
    for i in range(4):
        record_decision(f"kerusakan zorblat nomor {i} di kampung", "air_bersih", tmp_path)
    clf = train_default([("zorblat bocor lagi", "air_bersih")], data_dir=tmp_path)
    assert clf.predict("zorblat").category == "air_bersih"
    assert model_path(tmp_path).is_file()
    assert default_classifier(tmp_path) is clf  # the freshly trained model is served


def test_extra_examples_with_unknown_categories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown category 'roads'"):
        train_default([("jalan rusak", "roads")], data_dir=tmp_path, save=False)


def test_default_classifier_trains_once_then_loads_the_saved_model(tmp_path: Path) -> None:
    assert not model_path(tmp_path).exists()
    first = default_classifier(tmp_path)
    assert model_path(tmp_path).is_file()
    assert default_classifier(tmp_path) is first
    reset_default_classifier()
    again = default_classifier(tmp_path)
    assert again is not first
    assert again.predict("jalan rusak") == first.predict("jalan rusak")


def test_a_model_trained_on_older_packaged_data_is_retrained(tmp_path: Path) -> None:
    stale = Classifier().train(
        [Example("jalan", "jalan_jembatan"), Example("sampah", "sampah_lingkungan")]
    )
    stale.metadata = {"base_fingerprint": "older-release"}
    stale.save(model_path(tmp_path))
    clf = default_classifier(tmp_path)
    assert clf.metadata["base_fingerprint"] == base_fingerprint()
    assert len(clf.categories) == 15
    assert Classifier.load(model_path(tmp_path)).metadata == clf.metadata


def test_a_corrupt_saved_model_is_replaced(tmp_path: Path) -> None:
    model_path(tmp_path).parent.mkdir(parents=True)
    model_path(tmp_path).write_bytes(b"garbage")
    clf = default_classifier(tmp_path)
    assert isinstance(clf, Classifier)
    assert Classifier.load(model_path(tmp_path)).categories == clf.categories


def test_base_examples_are_corpus_plus_handwritten() -> None:
    assert base_examples() == packaged_corpus() + handwritten_examples()
    assert len(packaged_corpus()) == 430


def test_a_read_only_data_dir_still_serves_a_model(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be", "utf-8")
    clf = default_classifier(blocker)
    assert clf.predict("jalan rusak").category == "jalan_jembatan"
