"""Triage then route, in one pure step: what the intake service asks about a new complaint.

If the channel gave a usable category it is kept; otherwise the classifier suggests one. A
suggestion below the review threshold is not routed automatically: the complaint waits in the
manual triage queue with the suggestion attached, as does a complaint no rule can place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from hub.routing.reference import category_codes
from hub.routing.rules import ComplaintFacts, RoutingDecision, Rule, evaluate

__all__ = ["Assessment", "Predictor", "assess"]


class _Prediction(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def manual_review(self) -> bool: ...
    def as_dict(self) -> dict[str, Any]: ...


class Predictor(Protocol):
    """What `assess` needs of a classifier (hub.triage.classifier.Classifier fits)."""

    def predict(self, text: str, *, threshold: float | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    category: str | None
    category_source: str  # "channel" | "classifier" | "none"
    prediction: dict[str, Any] | None
    routing: RoutingDecision
    manual_review: bool  # a person must confirm the category or the institution

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "category_source": self.category_source,
            "prediction": self.prediction,
            "routing": self.routing.as_dict(),
            "manual_review": self.manual_review,
        }


def assess(
    text: str,
    *,
    rules: Iterable[Rule],
    classifier: Predictor | None = None,
    category: str | None = None,
    region: str | None = None,
    threshold: float | None = None,
    refused_by: frozenset[str] = frozenset(),
) -> Assessment:
    """Category (given or predicted) and routing decision for one complaint."""
    if category is not None and category not in category_codes():
        raise ValueError(f"unknown category {category!r}")
    rule_list = list(rules)
    if category is not None:
        decision = evaluate(rule_list, ComplaintFacts(category, region, text, refused_by))
        return Assessment(
            category, "channel", None, decision, manual_review=decision.action == "manual"
        )
    if classifier is None or not text.strip():
        decision = evaluate(rule_list, ComplaintFacts(None, region, text, refused_by))
        return Assessment(None, "none", None, decision, manual_review=True)
    prediction: _Prediction = classifier.predict(text, threshold=threshold)
    facts = ComplaintFacts(prediction.category, region, text, refused_by)
    decision = evaluate(rule_list, facts)
    return Assessment(
        prediction.category,
        "classifier",
        prediction.as_dict(),
        decision,
        manual_review=prediction.manual_review or decision.action == "manual",
    )
