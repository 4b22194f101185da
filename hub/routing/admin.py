"""Rule sets as admins manage them: the one in force, its history, saving and dry runs.

Every save is a new `RuleSetVersion` row (who, when, why), so a change is audited and can be
undone by saving an older version again. Version 0 stands for the rules shipped with the hub,
in force until an admin saves a first set. Used by the admin API and `hub routing` alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.routing.dispatch import Assessment, Predictor, assess
from hub.routing.models import RuleSetVersion
from hub.routing.rules import Rule, default_rules, dump_rules, parse_rules

__all__ = [
    "ActiveRules",
    "StaleVersion",
    "active",
    "history",
    "parse_candidate",
    "preview",
    "problem_pointers",
    "rule_view",
    "save",
]

log = logging.getLogger(__name__)

SHIPPED = 0  # the version number of the rules packaged with the hub


class StaleVersion(Exception):
    """The rule set changed since the editor loaded it (optimistic concurrency)."""

    def __init__(self, expected: int, current: int) -> None:
        self.expected, self.current = expected, current
        super().__init__(
            f"the rules were edited meanwhile: you started from version {expected}, "
            f"version {current} is now in force; reload and apply your change again"
        )


@dataclass(frozen=True)
class ActiveRules:
    version: int
    rules: tuple[Rule, ...]
    created_by: str | None = None
    created_at: datetime | None = None
    comment: str | None = None

    @property
    def source(self) -> str:
        return "shipped" if self.version == SHIPPED else "database"

    def as_dict(self, *, with_rules: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": self.version,
            "source": self.source,
            "count": len(self.rules),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "comment": self.comment,
        }
        if with_rules:
            doc["rules"] = dump_rules(self.rules)
        return doc


def _from_row(row: RuleSetVersion) -> ActiveRules:
    return ActiveRules(
        version=row.version,
        rules=parse_rules(row.rules),
        created_by=row.created_by,
        created_at=row.created_at,
        comment=row.comment,
    )


def active(session: Session) -> ActiveRules:
    """The rule set in force: the newest saved one, else the shipped rules (version 0)."""
    row = session.scalars(
        select(RuleSetVersion).order_by(RuleSetVersion.version.desc()).limit(1)
    ).first()
    return _from_row(row) if row is not None else ActiveRules(SHIPPED, default_rules())


def history(session: Session, *, limit: int = 50, before: int | None = None) -> list[ActiveRules]:
    """Saved versions, newest first (the shipped rules are not a row and not listed)."""
    query = select(RuleSetVersion).order_by(RuleSetVersion.version.desc())
    if before is not None:
        query = query.where(RuleSetVersion.version < before)
    return [_from_row(row) for row in session.scalars(query.limit(limit))]


def save(
    session: Session,
    data: Any,
    *,
    actor: str,
    comment: str | None = None,
    base_version: int | None = None,
) -> tuple[ActiveRules, bool]:
    """Validate and put a rule set in force; (the set in force, whether a version was added).

    Raises `RuleSetError` (every problem listed) or `StaleVersion`. Saving exactly the rules
    already in force adds no version. The caller owns the transaction.
    """
    rules = parse_rules(data)
    current = active(session)
    if base_version is not None and base_version != current.version:
        raise StaleVersion(base_version, current.version)
    stored = dump_rules(rules)
    if stored == dump_rules(current.rules) and current.version != SHIPPED:
        return current, False
    row = RuleSetVersion(
        rules=stored,
        based_on=current.version,
        comment=(comment or "").strip() or None,
        created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # another save from the same version committed first
        raise StaleVersion(current.version, active(session).version) from exc
    log.info("routing rules version %s saved by %s (%d rules)", row.version, actor, len(rules))
    return _from_row(row), True


_BY_ID = re.compile(r"^rule '([^']*)'")
_BY_INDEX = re.compile(r"^rule #(\d+)")


def problem_pointers(data: Any, problems: Sequence[str]) -> list[dict[str, str]]:
    """RFC 9457 `errors` entries for rule set problems: a JSON Pointer to the rule at fault."""
    wrapped = isinstance(data, Mapping) and "rules" in data
    raw = data["rules"] if wrapped else data
    prefix = "/rules" if wrapped else ""
    index_of: dict[str, int] = {}
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                index_of.setdefault(item["id"], index)
    errors = []
    for problem in problems:
        pointer = prefix or "/"
        by_id, by_index = _BY_ID.match(problem), _BY_INDEX.match(problem)
        if by_id and by_id.group(1) in index_of:
            pointer = f"{prefix}/{index_of[by_id.group(1)]}"
        elif by_index:
            pointer = f"{prefix}/{by_index.group(1)}"
        errors.append({"pointer": pointer, "detail": problem})
    return errors


def rule_view(rules: Iterable[Rule], rule_id: str | None) -> dict[str, Any] | None:
    """The JSON form of the rule with this id (the one a decision names)."""
    if rule_id is None:
        return None
    found = [r for r in rules if r.id == rule_id]
    return dump_rules(found)[0] if found else None


def preview(
    rules: tuple[Rule, ...],
    *,
    text: str = "",
    category: str | None = None,
    region: str | None = None,
    refused_by: Iterable[str] = (),
    classifier: Predictor | None = None,
) -> Assessment:
    """What intake would decide for these facts, changing nothing (a dry run).

    Without a category the classifier suggests one from the text, as at intake. Raises
    `ValueError` for an unknown category or region.
    """
    return assess(
        text,
        rules=rules,
        classifier=classifier,
        category=category,
        region=region,
        refused_by=frozenset(refused_by),
    )


def parse_candidate(data: Any) -> tuple[Rule, ...]:
    """A rule set to try out, validated like one to save (raises RuleSetError)."""
    return parse_rules(data)
