"""The category classifier: TF-IDF words + characters + lexicon, logistic regression,
temperature-calibrated so that `confidence` can be compared with a review threshold.

Character n-grams absorb typos and affixes ("diperbaikin", "jalannya"); word n-grams carry
phrases ("lampu merah" is traffic, "lampu jalan" is street lighting); the lexicon carries
domain knowledge the small corpus cannot teach.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from hub.triage.corpus import Example
from hub.triage.lexicon import LexiconFeatures
from hub.triage.normalize import normalize

__all__ = ["DEFAULT_THRESHOLD", "Classifier", "ModelError", "Prediction", "evaluate"]

DEFAULT_THRESHOLD = 0.7
_FORMAT = "hub.triage/1"


class ModelError(ValueError):
    """An untrained classifier, an unusable training set, or a bad model file."""


@dataclass(frozen=True, slots=True)
class Prediction:
    category: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    manual_review: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "alternatives": [
                {"category": c, "confidence": round(p, 4)} for c, p in self.alternatives
            ],
            "manual_review": self.manual_review,
        }


def _pipeline(seed: int, c: float, lexicon_weight: float) -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
            ("lexicon", LexiconFeatures(weight=lexicon_weight)),
        ]
    )
    model = LinearSVC(C=c, random_state=seed)
    return Pipeline([("features", features), ("model", model)])


@dataclass
class Classifier:
    """Suggests a category; `manual_review` is set when confidence is below `threshold`."""

    threshold: float = DEFAULT_THRESHOLD
    seed: int = 0
    c: float = 0.5  # SVM regularisation (inverse strength)
    lexicon_weight: float = 0.3  # 0 switches the hand-written lexicon off
    _model: Any = field(default=None, repr=False)
    _trained_on: int = 0
    # Free-form provenance saved with the model (e.g. a fingerprint of the training data).
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {self.threshold}")
        if self.c <= 0 or self.lexicon_weight < 0:
            raise ValueError("c must be positive and lexicon_weight not negative")

    @property
    def trained(self) -> bool:
        return self._model is not None

    @property
    def categories(self) -> tuple[str, ...]:
        self._require_model()
        return tuple(str(c) for c in self._model.classes_)

    def train(self, examples: Iterable[Example]) -> Classifier:
        """Fit on `examples` (replacing any previous model); returns self."""
        data = list(examples)
        counts = Counter(ex.category for ex in data)
        if len(counts) < 2:
            raise ModelError("training needs examples of at least two categories")
        texts = [normalize(ex.text) for ex in data]
        labels = [ex.category for ex in data]
        folds = min(5, min(counts.values()))
        if folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
            model: Any = CalibratedClassifierCV(
                self._pipeline(), method="temperature", cv=cv, ensemble=False
            )
        else:
            # Too few examples of some category to hold any out: uncalibrated probabilities.
            model = self._pipeline()
        model.fit(texts, labels)
        self._model = model
        self._trained_on = len(data)
        return self

    def _pipeline(self) -> Pipeline:
        return _pipeline(self.seed, self.c, self.lexicon_weight)

    def predict(self, text: str, *, threshold: float | None = None) -> Prediction:
        return self.predict_many([text], threshold=threshold)[0]

    def predict_many(
        self, texts: Sequence[str], *, threshold: float | None = None
    ) -> list[Prediction]:
        self._require_model()
        limit = self.threshold if threshold is None else threshold
        normalised = []
        for text in texts:
            if not isinstance(text, str) or not normalize(text):
                raise ValueError("complaint text is empty: nothing to classify")
            normalised.append(normalize(text))
        probabilities = self._probabilities(normalised)
        classes = self.categories
        out = []
        for row in probabilities:
            order = np.argsort(-row, kind="stable")
            best = int(order[0])
            confidence = float(row[best])
            alternatives = tuple((classes[int(i)], float(row[int(i)])) for i in order[1:4])
            out.append(
                Prediction(
                    category=classes[best],
                    confidence=confidence,
                    alternatives=alternatives,
                    manual_review=confidence < limit,
                )
            )
        return out

    def _probabilities(self, texts: list[str]) -> Any:
        if hasattr(self._model, "predict_proba"):
            return self._model.predict_proba(texts)
        # Uncalibrated (tiny training set): a plain softmax over the SVM margins.
        scores = np.asarray(self._model.decision_function(texts), dtype=np.float64)
        if scores.ndim == 1:  # two classes: one margin, positive for classes_[1]
            scores = np.column_stack([-scores, scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path | str) -> Path:
        """Write the model (a joblib pickle: load only files the hub wrote itself)."""
        self._require_model()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        payload = {
            "format": _FORMAT,
            "sklearn": sklearn.__version__,
            "threshold": self.threshold,
            "seed": self.seed,
            "c": self.c,
            "lexicon_weight": self.lexicon_weight,
            "trained_on": self._trained_on,
            "metadata": dict(self.metadata),
            "model": self._model,
        }
        joblib.dump(payload, tmp)
        tmp.replace(target)
        return target

    @classmethod
    def load(cls, path: Path | str) -> Classifier:
        source = Path(path)
        if not source.is_file():
            raise ModelError(f"{source}: no such model file")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # sklearn version warnings: checked below
                payload = joblib.load(source)
        except Exception as exc:  # a truncated or foreign file can raise nearly anything
            raise ModelError(f"{source}: not a triage model ({type(exc).__name__})") from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ModelError(f"{source}: not a triage model file")
        if payload.get("sklearn") != sklearn.__version__:
            raise ModelError(
                f"{source}: trained with scikit-learn {payload.get('sklearn')}, "
                f"running {sklearn.__version__}; retrain with `hub triage train`"
            )
        clf = cls(
            threshold=float(payload["threshold"]),
            seed=int(payload["seed"]),
            c=float(payload["c"]),
            lexicon_weight=float(payload["lexicon_weight"]),
        )
        clf._model = payload["model"]
        clf._trained_on = int(payload["trained_on"])
        clf.metadata = {str(k): str(v) for k, v in dict(payload.get("metadata", {})).items()}
        return clf

    def _require_model(self) -> None:
        if self._model is None:
            raise ModelError("the classifier is not trained: call train() or load() first")


def evaluate(classifier: Classifier, examples: Iterable[Example]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-category precision/recall/F1 on labelled examples."""
    data = list(examples)
    if not data:
        raise ValueError("no examples to evaluate")
    truth = [ex.category for ex in data]
    predicted = [p.category for p in classifier.predict_many([ex.text for ex in data])]
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    per_category = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "n": len(data),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(
            f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "per_category": per_category,
    }
