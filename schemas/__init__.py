"""The common schema v1: JSON Schema files that every channel, connector and OPD app shares.

`validate(doc, "complaint")` checks a document and raises `SchemaError` listing *every* problem
with its JSON path, so a connector author sees all mistakes at once instead of one per run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

__all__ = ["NAMES", "SchemaError", "SchemaProblem", "load", "problems", "validate", "validator"]

VERSION = "v1"
NAMES = ("common", "complaint", "complaint-submission", "status-update", "event")


@dataclass(frozen=True)
class SchemaProblem:
    path: str  # JSON Pointer-like path, e.g. "$.location.lat"
    message: str


class SchemaError(ValueError):
    def __init__(self, name: str, found: list[SchemaProblem]) -> None:
        self.name = name
        self.problems = found
        listing = "; ".join(f"{p.path}: {p.message}" for p in found)
        super().__init__(f"document does not match schema {name!r}: {listing}")


@cache
def load(name: str) -> dict[str, Any]:
    """The raw JSON Schema document called `name` (e.g. "complaint")."""
    if name not in NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(NAMES)}")
    text = resources.files(__package__).joinpath(VERSION, f"{name}.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _registry() -> Registry:  # type: ignore[type-arg,unused-ignore]
    resources_ = []
    for name in NAMES:
        doc = load(name)
        resource = Resource.from_contents(doc)
        resources_.append((doc["$id"], resource))
    return Registry().with_resources(resources_)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load(name), registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _is_null_branch(error: ValidationError) -> bool:
    return bool(error.validator == "type" and error.validator_value == "null")


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For `anyOf [X, null]`, the reasons X failed: far clearer than "is not valid under anyOf"."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    real = [subs for subs in branches.values() if not all(map(_is_null_branch, subs))]
    if len(real) != 1:
        return [error]
    return [leaf for sub in real[0] for leaf in _leaves(sub)]


def problems(doc: Any, name: str) -> list[SchemaProblem]:
    """Every way `doc` fails schema `name`, sorted by path; empty when it is valid."""
    errors = [leaf for e in validator(name).iter_errors(doc) for leaf in _leaves(e)]
    found = {(_path(e.absolute_path), e.message) for e in errors}
    return [SchemaProblem(path, message) for path, message in sorted(found)]


def validate(doc: Mapping[str, Any] | Any, name: str) -> None:
    found = problems(doc, name)
    if found:
        raise SchemaError(name, found)
