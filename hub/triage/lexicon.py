"""Hand-written domain lexicon as classifier features (one score per category).

With ~30 examples a category a linear model cannot learn that "begal" or "pinjol" matter on its
own; the lexicon (data/lexicon.json, editable) carries that domain knowledge.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from hub.triage.normalize import normalize

__all__ = ["LexiconFeatures", "compile_lexicon", "packaged_lexicon"]


@lru_cache(maxsize=1)
def packaged_lexicon() -> dict[str, tuple[str, ...]]:
    text = resources.files("hub.triage").joinpath("data", "lexicon.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    return {k: tuple(v) for k, v in raw.items() if not k.startswith("_")}


def compile_lexicon(lexicon: Mapping[str, Sequence[str]]) -> list[tuple[str, re.Pattern[str]]]:
    """One regex per category; terms match at a word start in normalised text."""
    compiled = []
    for category in sorted(lexicon):
        terms = sorted({normalize(t) for t in lexicon[category] if normalize(t)}, key=len)
        alternation = "|".join(re.escape(t) for t in reversed(terms))
        compiled.append((category, re.compile(rf"\b(?:{alternation})")))
    return compiled


class LexiconFeatures(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Maps normalised texts to `weight * log1p(hits)` per lexicon category."""

    def __init__(self, lexicon: Mapping[str, Sequence[str]] | None = None, weight: float = 0.5):
        self.lexicon = lexicon
        self.weight = weight

    def fit(self, texts: Iterable[str], y: object = None) -> LexiconFeatures:
        self.patterns_ = compile_lexicon(self.lexicon or packaged_lexicon())
        return self

    def transform(self, texts: Iterable[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        rows = [
            [self.weight * math.log1p(len(p.findall(text))) for _, p in self.patterns_]
            for text in texts
        ]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.patterns_))
