"""Routing rules: (category, region, keywords) -> the institution that must act, or a referral.

A rule set is data an admin edits (JSON, see data/rules.json); `evaluate` is pure. Rules are
tried by descending priority (then id); the first rule whose conditions all hold decides:

    categories  any of these complaint categories (empty: any category)
    regions     any of these kab/kota codes (empty: any region, also an unknown one)
    keywords    at least one occurs in the complaint text (empty: no keyword condition)
    exclude     none of these occurs in the text
    institution candidate codes, first that exists wins; "{region}" is replaced by the
                complaint's region, and a rule whose candidates all need an unknown region
                does not match (so a later rule without a region can catch the complaint)

Citizen messages may use the placeholders {institution}, {institution_code}, {category},
{category_en} and {region}; nothing else (a template is checked when the rule set is parsed).

Keywords are matched on normalised text (hub.triage.normalize: "jln prov" == "jalan
provinsi") at the start of a word; keywords shorter than four letters ("sd", "sma") must match
a whole word. No rule matching means `manual`: a person in the triage desk decides.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from hub.routing import reference
from hub.triage.normalize import normalize

__all__ = [
    "ComplaintFacts",
    "RoutingDecision",
    "Rule",
    "RuleSetError",
    "default_rules",
    "dump_rules",
    "evaluate",
    "infer_region",
    "load_rules",
    "parse_rules",
]

Action = Literal["route", "redirect"]
DecisionAction = Literal["route", "redirect", "manual"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_ROUTE_ID = "Laporan Anda diteruskan ke {institution}, yang berwenang menangani urusan {category}."
_ROUTE_EN = "Your report has been forwarded to {institution}, which is responsible for {category}."
_MANUAL_ID = "Laporan Anda akan diperiksa petugas kami untuk menentukan instansi yang berwenang."
_MANUAL_EN = "Our staff will review your report to find the responsible institution."


class RuleSetError(ValueError):
    """A rule set that cannot be used; `problems` lists every defect found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("invalid routing rules: " + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    priority: int
    action: Action
    institution: tuple[str, ...]
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    message_id: str = ""
    message_en: str = ""
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """What routing looks at: category, kab/kota code (may be unknown), the text."""

    category: str | None
    region: str | None = None
    text: str = ""
    # Institutions that sent the report back as not theirs ("no wrong door"): rules leading
    # to them are passed over, so the report moves on instead of bouncing back.
    refused_by: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    action: DecisionAction
    institution: str | None
    rule_id: str | None
    explanation_id: str
    explanation_en: str
    matched_keyword: str | None = None
    region: str | None = None
    region_inferred: bool = False
    rule_description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "institution": self.institution,
            "rule_id": self.rule_id,
            "explanation": {"id": self.explanation_id, "en": self.explanation_en},
            "matched_keyword": self.matched_keyword,
            "region": self.region,
            "region_inferred": self.region_inferred,
            "rule_description": self.rule_description,
        }


# ---------------------------------------------------------------------------------- parsing


def _strings(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return ()
    return tuple(v.strip() for v in value)


_PLACEHOLDERS = ("institution", "institution_code", "category", "category_en", "region")


def _bad_placeholder(template: str) -> str | None:
    """Why a citizen message template cannot be rendered, or None if it can."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"unbalanced braces ({exc}); write {{{{ and }}}} for literal braces"
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in _PLACEHOLDERS or spec or conversion:
            allowed = ", ".join("{" + p + "}" for p in _PLACEHOLDERS)
            return f"unknown placeholder {{{name}}}; use {allowed}"
    return None


def _parse_rule(raw: Any, index: int, problems: list[str]) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.append(f"rule #{index}: must be an object")
        return None
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append(f"rule #{index}: 'id' must match {_ID.pattern}")
        return None
    where = f"rule {rule_id!r}"
    before = len(problems)
    known = {
        "id", "priority", "action", "institution", "categories", "regions", "keywords",
        "exclude", "message", "description", "enabled",
    }  # fmt: skip
    for key in sorted(set(raw) - known):
        problems.append(f"{where}: unknown field {key!r}")
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10000:
        problems.append(f"{where}: 'priority' must be an integer from 0 to 10000")
        priority = 0
    action = raw.get("action", "route")
    if action not in ("route", "redirect"):
        problems.append(f"{where}: 'action' must be 'route' or 'redirect'")
    institution = _strings(raw.get("institution"), f"{where}: 'institution'", problems)
    if not institution:
        problems.append(f"{where}: 'institution' is required")
    for candidate in institution:
        rest = candidate.replace("{region}", "")
        if "{" in rest or "}" in rest:
            problems.append(f"{where}: only the {{region}} placeholder is supported")
        elif "{region}" not in candidate and candidate not in reference.institutions():
            problems.append(f"{where}: unknown institution {candidate!r}")
    categories = _strings(raw.get("categories"), f"{where}: 'categories'", problems)
    for code in categories:
        if code not in reference.category_codes():
            problems.append(f"{where}: unknown category {code!r}")
    regions = _strings(raw.get("regions"), f"{where}: 'regions'", problems)
    for code in regions:
        if code not in reference.region_codes():
            problems.append(f"{where}: unknown region {code!r}")
    keywords = _strings(raw.get("keywords"), f"{where}: 'keywords'", problems)
    exclude = _strings(raw.get("exclude"), f"{where}: 'exclude'", problems)
    for kw in (*keywords, *exclude):
        if not normalize(kw):
            problems.append(f"{where}: keyword {kw!r} has no letters or digits")
    message = raw.get("message") or {}
    if not isinstance(message, Mapping) or not all(
        isinstance(message.get(k, ""), str) for k in ("id", "en")
    ):
        problems.append(f"{where}: 'message' must be an object with 'id' and 'en' strings")
        message = {}
    message_id, message_en = message.get("id", "").strip(), message.get("en", "").strip()
    for text in (message_id, message_en):
        bad = _bad_placeholder(text)
        if bad:
            problems.append(f"{where}: message: {bad}")
    if action == "redirect" and not (message_id and message_en):
        problems.append(f"{where}: a redirect needs a citizen message in 'id' and 'en'")
    if bool(message_id) != bool(message_en):
        problems.append(f"{where}: give the message in both Bahasa Indonesia and English")
    description = raw.get("description", "")
    enabled = raw.get("enabled", True)
    if not isinstance(description, str) or not isinstance(enabled, bool):
        problems.append(f"{where}: 'description' must be a string and 'enabled' a boolean")
    if len(problems) > before:
        return None
    return Rule(
        id=rule_id,
        priority=priority,
        action=action,
        institution=institution,
        categories=categories,
        regions=regions,
        keywords=keywords,
        exclude=exclude,
        message_id=message_id,
        message_en=message_en,
        description=description,
        enabled=enabled,
    )


def parse_rules(data: Any) -> tuple[Rule, ...]:
    """Validate a rule set (a list, or {"rules": [...]}) and return it, highest priority first."""
    if isinstance(data, Mapping) and "rules" in data:
        data = data["rules"]
    if not isinstance(data, list):
        raise RuleSetError(["the rule set must be a list of rules"])
    problems: list[str] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        raw_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(raw_id, str):
            if raw_id in seen:
                problems.append(f"rule {raw_id!r}: duplicate id")
            seen.add(raw_id)
        rule = _parse_rule(raw, index, problems)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise RuleSetError(problems)
    return tuple(sorted(rules, key=lambda r: (-r.priority, r.id)))


def load_rules(path: Path | str) -> tuple[Rule, ...]:
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise RuleSetError([f"{p}: no such file"]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuleSetError([f"{p}: cannot read JSON ({exc})"]) from None
    return parse_rules(data)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The rule set shipped with the hub (data/rules.json), the seed for admin edits."""
    text = resources.files("hub.routing").joinpath("data", "rules.json").read_text("utf-8")
    return parse_rules(json.loads(text))


def dump_rules(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """Rules back to their JSON form (round-trips through `parse_rules`)."""
    out: list[dict[str, Any]] = []
    for r in rules:
        row: dict[str, Any] = {"id": r.id, "priority": r.priority, "action": r.action}
        for name in ("categories", "regions", "keywords", "exclude"):
            if getattr(r, name):
                row[name] = list(getattr(r, name))
        row["institution"] = list(r.institution)
        if r.message_id:
            row["message"] = {"id": r.message_id, "en": r.message_en}
        if r.description:
            row["description"] = r.description
        if not r.enabled:
            row["enabled"] = False
        out.append(row)
    return out


# ------------------------------------------------------------------------------- evaluation


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    norm = normalize(keyword)
    tail = r"\b" if len(norm) < 4 else ""
    return re.compile(rf"\b{re.escape(norm)}{tail}")


def _first_keyword(keywords: Sequence[str], text: str) -> str | None:
    for kw in keywords:
        if _keyword_pattern(kw).search(text):
            return kw
    return None


@lru_cache(maxsize=1)
def _region_names() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Region names, seat towns and gazetteer places as they appear in text, longest first."""
    names: dict[str, str] = {}
    for code in reference.region_codes():
        inst = reference.institution(code)
        short = inst.name.replace("Pemerintah Kabupaten ", "").replace("Pemerintah Kota ", "")
        names[normalize(short)] = code
        seat = re.search(r"seat: ([^)]+)", inst.kind)
        if seat:
            names[normalize(seat.group(1))] = code
    for code, place_names in reference.places().items():
        for name in place_names:
            names[normalize(name)] = code
    ordered = sorted(names.items(), key=lambda kv: -len(kv[0]))
    return tuple((re.compile(rf"\b{re.escape(name)}\b"), code) for name, code in ordered)


def infer_region(text: str) -> str | None:
    """The kab/kota a text names ("di Bandar Lampung", "Kalianda"), if exactly one is named."""
    norm = normalize(text)
    found: list[str] = []
    for pattern, code in _region_names():
        if pattern.search(norm):
            found.append(code)
            norm = pattern.sub(" ", norm)  # "tulang bawang barat" must not also count twice
    distinct = set(found)
    return found[0] if len(distinct) == 1 else None


def _resolve(rule: Rule, region: str | None) -> str | None:
    for candidate in rule.institution:
        if "{region}" in candidate:
            if region is None:
                continue
            candidate = candidate.replace("{region}", region)
        if candidate in reference.institutions():
            return candidate
    return None


def _render(template: str, institution: str, category: str | None, region: str | None) -> str:
    inst = reference.institutions()[institution]
    cat = reference.categories().get(category or "")
    return template.format_map(
        {
            "institution": inst.name,
            "institution_code": inst.code,
            "category": cat.name_id.lower() if cat else "ini",
            "category_en": cat.name_en.lower() if cat else "this matter",
            "region": reference.institutions()[region].name if region else "",
        }
    )


def evaluate(rules: Iterable[Rule], facts: ComplaintFacts) -> RoutingDecision:
    """The first matching rule's decision; `manual` when none matches."""
    text = normalize(facts.text)
    region, inferred = facts.region, False
    if region is not None and region not in reference.region_codes():
        raise ValueError(f"unknown region {region!r}")
    if region is None and facts.text:
        region = infer_region(facts.text)
        inferred = region is not None
    for rule in sorted(rules, key=lambda r: (-r.priority, r.id)):
        if not rule.enabled:
            continue
        if rule.categories and facts.category not in rule.categories:
            continue
        if rule.regions and region not in rule.regions:
            continue
        matched = _first_keyword(rule.keywords, text) if rule.keywords else None
        if rule.keywords and matched is None:
            continue
        if rule.exclude and _first_keyword(rule.exclude, text) is not None:
            continue
        institution = _resolve(rule, region)
        if institution is None or institution in facts.refused_by:
            continue
        if rule.action == "route":
            template_id = rule.message_id or _ROUTE_ID
            template_en = rule.message_en or _ROUTE_EN.replace("{category}", "{category_en}")
        else:
            template_id, template_en = rule.message_id, rule.message_en
        return RoutingDecision(
            action=rule.action,
            institution=institution,
            rule_id=rule.id,
            explanation_id=_render(template_id, institution, facts.category, region),
            explanation_en=_render(template_en, institution, facts.category, region),
            matched_keyword=matched,
            region=region,
            region_inferred=inferred,
            rule_description=rule.description,
        )
    return RoutingDecision(
        action="manual",
        institution=None,
        rule_id=None,
        explanation_id=_MANUAL_ID,
        explanation_en=_MANUAL_EN,
        region=region,
        region_inferred=inferred,
    )
