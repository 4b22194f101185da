"""Common schema v1: valid JSON Schema, examples that validate, pydantic models that agree."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

import schemas
from schemas.models import Complaint, ComplaintSubmission, Event, StatusUpdate

MODELS: dict[str, type[BaseModel]] = {
    "complaint": Complaint,
    "complaint-submission": ComplaintSubmission,
    "status-update": StatusUpdate,
    "event": Event,
}


@pytest.mark.parametrize("name", schemas.NAMES)
def test_every_schema_file_is_valid_draft_2020_12_with_an_id(name: str) -> None:
    doc = schemas.load(name)
    Draft202012Validator.check_schema(doc)
    assert doc["$id"].endswith(f"/v1/{name}.schema.json")


@pytest.mark.parametrize("name", MODELS)
def test_examples_are_valid_for_both_the_schema_and_the_model(name: str) -> None:
    examples = schemas.load(name)["examples"]
    assert examples, f"{name} has no examples"
    for example in examples:
        schemas.validate(example, name)
        MODELS[name].model_validate(example)


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(doc)
    *parents, leaf = path.split(".")
    target = broken
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return broken


_DELETE = object()

# (schema, path, bad value): each must be refused by the JSON Schema AND by the model.
BROKEN = [
    ("complaint", "id", "not-a-uuid"),
    ("complaint", "tracking_code", "LPG-26-1"),
    ("complaint", "status", "done"),
    ("complaint", "channel", "fax"),
    ("complaint", "privacy", "secret"),
    ("complaint", "created_at", "2026-11-29T08:00:00"),
    ("complaint", "title", "ab"),
    ("complaint", "description", _DELETE),
    ("complaint", "location.lat", 91),
    ("complaint", "location.region", "Kota Bandar Lampung"),
    ("complaint", "contact.phone", "call me"),
    ("complaint", "unexpected", 1),
    ("complaint-submission", "title", _DELETE),
    ("complaint-submission", "description", "short"),
    ("complaint-submission", "contact.email", "siti-at-example"),
    ("complaint-submission", "attachments", [{"url": "ftp://x/y"}]),
    ("complaint-submission", "category", "Sampah!"),
    ("status-update", "status", "fixed"),
    ("status-update", "occurred_at", "2026-11-29 09:00"),
    ("status-update", "source_event_id", ""),
    ("status-update", "external_ref", _DELETE),
    ("event", "specversion", "0.3"),
    ("event", "type", "ComplaintCreated"),
    ("event", "data", _DELETE),
]


@pytest.mark.parametrize(("name", "path", "value"), BROKEN)
def test_schema_and_model_refuse_the_same_broken_documents(
    name: str, path: str, value: Any
) -> None:
    broken = _set(schemas.load(name)["examples"][0], path, value)
    assert schemas.problems(broken, name), f"schema accepted {path}={value!r}"
    with pytest.raises(ValidationError):
        MODELS[name].model_validate(broken)


@pytest.mark.parametrize("name", MODELS)
def test_model_output_validates_against_the_schema(name: str) -> None:
    """The other direction: what the code produces is what the contract promises."""
    model = MODELS[name].model_validate(schemas.load(name)["examples"][0])
    dumped = model.model_dump(mode="json", exclude_none=False)
    assert schemas.problems(dumped, name) == []


def test_validate_reports_every_problem_with_its_json_path() -> None:
    doc = {"title": 1, "description": "x", "location": {"lat": 200}}
    with pytest.raises(schemas.SchemaError) as caught:
        schemas.validate(doc, "complaint-submission")
    paths = {p.path for p in caught.value.problems}
    assert paths == {"$.title", "$.description", "$.location.lat"}
    assert "$.location.lat" in str(caught.value)


def test_unknown_schema_name_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown schema 'complain'"):
        schemas.load("complain")
