"""Where the hub's model comes from: packaged corpus + hand-written examples + admin decisions.

Admin re-categorisations are the best training data the hub will ever have. The hub records
each as a (text, category) pair (`record_decision`, a JSONL file under the data dir, or the
caller's own store passed as `extra_examples`) and `train_default` refits on all of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from hub.routing.reference import category_codes
from hub.triage.classifier import DEFAULT_THRESHOLD, Classifier, ModelError
from hub.triage.corpus import (
    CorpusError,
    Example,
    handwritten_examples,
    load_examples,
    packaged_corpus,
)
from hub.triage.lexicon import packaged_lexicon

__all__ = [
    "base_examples",
    "base_fingerprint",
    "decisions_path",
    "default_classifier",
    "model_path",
    "record_decision",
    "reset_default_classifier",
    "stored_decisions",
    "train_default",
]

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[Path, Classifier] = {}


def _triage_dir(data_dir: Path | None) -> Path:
    if data_dir is None:
        from hub.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / "triage"


def model_path(data_dir: Path | None = None) -> Path:
    return _triage_dir(data_dir) / "model.joblib"


def decisions_path(data_dir: Path | None = None) -> Path:
    return _triage_dir(data_dir) / "decisions.jsonl"


def base_examples() -> list[Example]:
    """The packaged corpus plus the hand-written examples."""
    return packaged_corpus() + handwritten_examples()


def base_fingerprint() -> str:
    """Identifies the packaged training data and lexicon, so a model trained on an older
    release is retrained instead of served."""
    digest = hashlib.sha256()
    for ex in base_examples():
        digest.update(f"{ex.category}\t{ex.text}\n".encode())
    digest.update(json.dumps(packaged_lexicon(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def record_decision(text: str, category: str, data_dir: Path | None = None) -> None:
    """Keep an admin's (re-)categorisation as a labelled example for the next training."""
    if not text.strip():
        raise ValueError("decision text is empty")
    if category not in category_codes():
        raise ValueError(f"unknown category {category!r}")
    path = decisions_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"text": text, "category": category}, ensure_ascii=False)
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def stored_decisions(data_dir: Path | None = None) -> list[Example]:
    path = decisions_path(data_dir)
    if not path.exists():
        return []
    try:
        return load_examples(path)
    except CorpusError as exc:
        if "no labelled examples" in str(exc):
            return []
        raise


def train_default(
    extra_examples: Iterable[Example | tuple[str, str]] = (),
    *,
    data_dir: Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    save: bool = True,
) -> Classifier:
    """Retrain on corpus + hand-written + stored decisions + `extra_examples`; save it."""
    codes = category_codes()
    extra: list[Example] = []
    for item in extra_examples:
        ex = item if isinstance(item, Example) else Example(text=item[0], category=item[1])
        if ex.category not in codes:
            raise ValueError(f"unknown category {ex.category!r} in extra examples")
        extra.append(ex)
    decisions = stored_decisions(data_dir)
    clf = Classifier(threshold=threshold).train(base_examples() + decisions + extra)
    clf.metadata = {
        "base_fingerprint": base_fingerprint(),
        "admin_decisions": str(len(decisions)),
        "extra_examples": str(len(extra)),
    }
    if save:
        path = model_path(data_dir)
        clf.save(path)
        with _lock:
            _cache[path] = clf
    return clf


def default_classifier(data_dir: Path | None = None) -> Classifier:
    """The hub's classifier: the saved model if usable, else trained now (and saved)."""
    path = model_path(data_dir)
    with _lock:
        cached = _cache.get(path)
    if cached is not None:
        return cached
    try:
        clf = Classifier.load(path)
        if clf.metadata.get("base_fingerprint") != base_fingerprint():
            clf = _train_and_try_to_save(data_dir)  # packaged data changed since
    except ModelError:
        clf = _train_and_try_to_save(data_dir)
    with _lock:
        _cache[path] = clf
    return clf


def _train_and_try_to_save(data_dir: Path | None) -> Classifier:
    """Serving must not fail because the data dir is read-only: train in memory then."""
    clf = train_default(data_dir=data_dir, save=False)
    try:
        clf.save(model_path(data_dir))
    except OSError as exc:
        log.warning("triage model not saved to %s: %s", model_path(data_dir), exc)
    return clf


def reset_default_classifier() -> None:
    """Forget cached models (tests, or after another process retrained)."""
    with _lock:
        _cache.clear()
