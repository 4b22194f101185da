"""Auto-triage: suggest a complaint category from the citizen's text, with a confidence."""

from hub.triage.classifier import Classifier, Prediction, evaluate
from hub.triage.corpus import CorpusError, Example, load_examples
from hub.triage.training import default_classifier, train_default

__all__ = [
    "Classifier",
    "CorpusError",
    "Example",
    "Prediction",
    "default_classifier",
    "evaluate",
    "load_examples",
    "train_default",
]
