"""A classifier trained once per session on 75 % of the corpus; the other 25 % is unseen."""

from __future__ import annotations

import pytest
from sklearn.model_selection import train_test_split

from hub.triage.classifier import Classifier
from hub.triage.corpus import Example, handwritten_examples, packaged_corpus

SPLIT_SEED = 42


@pytest.fixture(scope="session")
def split() -> tuple[list[Example], list[Example]]:
    corpus = packaged_corpus()
    train, held_out = train_test_split(
        corpus,
        test_size=0.25,
        stratify=[ex.category for ex in corpus],
        random_state=SPLIT_SEED,
    )
    return list(train), list(held_out)


@pytest.fixture(scope="session")
def trained(split: tuple[list[Example], list[Example]]) -> Classifier:
    train, _ = split
    return Classifier().train(train + handwritten_examples())
