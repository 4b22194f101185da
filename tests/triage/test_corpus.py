"""Labelled files: the packaged corpus, hand-written additions, and clear errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hub.routing.reference import category_codes
from hub.triage.corpus import (
    CorpusError,
    Example,
    handwritten_examples,
    load_examples,
    packaged_corpus,
    parse_examples,
)


def test_packaged_corpus_is_the_shared_seed_corpus() -> None:
    corpus = packaged_corpus()
    assert len(corpus) == 430
    assert set(Counter(ex.category for ex in corpus)) == category_codes()


def test_handwritten_examples_cover_every_category_and_never_copy_the_corpus() -> None:
    extra = handwritten_examples()
    assert {ex.category for ex in extra} == category_codes()
    corpus_texts = {ex.text.lower() for ex in packaged_corpus()}
    assert not [ex.text for ex in extra if ex.text.lower() in corpus_texts]


def test_parses_lines_and_skips_blank_ones() -> None:
    lines = [
        json.dumps(
            {"id": "a", "text": "jalan rusak", "category": "jalan_jembatan", "region": None}
        ),
        "",
        json.dumps({"text": "sampah", "category": "sampah_lingkungan"}),
    ]
    assert parse_examples(lines) == [
        Example("jalan rusak", "jalan_jembatan"),
        Example("sampah", "sampah_lingkungan"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"f\.jsonl:2: not valid JSON"),
        ("[1, 2]", r"f\.jsonl:2: expected a JSON object"),
        ('{"category": "jalan_jembatan"}', r"f\.jsonl:2: 'text' must be a non-empty string"),
        ('{"text": "  ", "category": "jalan_jembatan"}', r"f\.jsonl:2: 'text'"),
        ('{"text": "x", "category": "jalanan"}', r"f\.jsonl:2: unknown category 'jalanan'"),
        ('{"text": "x"}', r"f\.jsonl:2: unknown category None"),
    ],
)
def test_bad_line_is_named(line: str, message: str) -> None:
    good = '{"text": "jalan rusak", "category": "jalan_jembatan"}'
    with pytest.raises(CorpusError, match=message):
        parse_examples([good, line], source="f.jsonl")


def test_missing_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        load_examples(tmp_path / "absent.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", "utf-8")
    with pytest.raises(CorpusError, match="no labelled examples"):
        load_examples(empty)
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CorpusError, match="cannot read"):
        load_examples(binary)
