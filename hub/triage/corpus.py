"""Labelled examples: the packaged corpus, hand-written additions, and JSONL files.

The file format is the one of `train.jsonl`: one JSON object a line with at least `text` and
`category` (a code from categories.json); other fields (`id`, `region`, ...) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hub.routing.reference import category_codes

__all__ = [
    "CorpusError",
    "Example",
    "handwritten_examples",
    "load_examples",
    "packaged_corpus",
    "parse_examples",
]


class CorpusError(ValueError):
    """A labelled file that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    category: str


def parse_examples(
    lines: Iterable[str], *, source: str = "<input>", known: frozenset[str] | None = None
) -> list[Example]:
    """Parse JSONL lines; blank lines are skipped, any bad line fails with its number."""
    codes = category_codes() if known is None else known
    out: list[Example] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise CorpusError(f"{where}: expected a JSON object")
        text, category = row.get("text"), row.get("category")
        if not isinstance(text, str) or not text.strip():
            raise CorpusError(f"{where}: 'text' must be a non-empty string")
        if not isinstance(category, str) or category not in codes:
            raise CorpusError(f"{where}: unknown category {category!r}")
        out.append(Example(text=text, category=category))
    return out


def load_examples(path: Path | str) -> list[Example]:
    """Read a labelled JSONL file; a missing or unreadable file is a CorpusError."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise CorpusError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{p}: cannot read ({exc})") from None
    examples = parse_examples(text.splitlines(), source=str(p))
    if not examples:
        raise CorpusError(f"{p}: no labelled examples")
    return examples


def _packaged(name: str) -> list[Example]:
    text = resources.files("hub.triage").joinpath("data", name).read_text("utf-8")
    return parse_examples(text.splitlines(), source=f"hub/triage/data/{name}")


def packaged_corpus() -> list[Example]:
    """The 430 citizen complaints of the shared seed corpus (train.jsonl)."""
    return _packaged("train.jsonl")


def handwritten_examples() -> list[Example]:
    """Extra examples written for this project (extra_examples.jsonl), kept apart."""
    return _packaged("extra_examples.jsonl")


def iter_jsonl(examples: Iterable[Example]) -> Iterator[str]:
    for ex in examples:
        yield json.dumps({"text": ex.text, "category": ex.category}, ensure_ascii=False)
