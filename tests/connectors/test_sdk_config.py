"""Config validation reports every problem with its path; secrets are found and masked."""

from __future__ import annotations

import pytest

from connectors.builtin.rest_json import RestJsonConnector
from connectors.config import (
    SECRET_MASK,
    check_schema,
    config_problems,
    redact,
    restore_secrets,
    secret_fields,
    validate_config,
)
from connectors.errors import ConfigError

SCHEMA = {
    "type": "object",
    "required": ["url", "password"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "password": {"type": "string", "writeOnly": True},
        "retries": {"type": "integer", "minimum": 0},
        "auth": {
            "oneOf": [
                {"type": "object", "properties": {"token": {"type": "string", "x-secret": True}}},
            ]
        },
        "headers": {"type": "object", "additionalProperties": {"type": "string", "x-secret": True}},
        "targets": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"key": {"type": "string", "writeOnly": True}},
            },
        },
    },
}


def test_every_problem_is_reported_with_its_path() -> None:
    found = config_problems({"url": "ftp://x", "retries": -1, "extra": 1}, SCHEMA)
    paths = [p.path for p in found]
    assert "$.url" in paths
    assert "$.retries" in paths
    assert "$" in paths  # missing password and the unexpected property
    with pytest.raises(ConfigError) as caught:
        validate_config({"url": "ftp://x", "retries": -1}, SCHEMA)
    message = str(caught.value)
    assert "$.url" in message and "$.retries" in message and "'password' is a required" in message


def test_secret_values_never_appear_in_validation_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config({"url": "https://a", "password": 12345678}, SCHEMA)
    assert "$.password" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        validate_config({"url": "https://a", "password": "hunter2-long", "x": 1}, SCHEMA)
    assert "hunter2-long" not in str(caught.value)


def test_secret_fields_are_found_everywhere() -> None:
    assert secret_fields(SCHEMA) == {"password", "auth.token", "headers.*", "targets.[].key"}


def test_redact_masks_secrets_and_leaves_the_rest() -> None:
    config = {
        "url": "https://a",
        "password": "p@ss",
        "auth": {"token": "tok"},
        "headers": {"X-A": "1", "X-B": "2"},
        "targets": [{"key": "k1"}, {"key": "k2"}],
    }
    out = redact(config, SCHEMA)
    assert out == {
        "url": "https://a",
        "password": SECRET_MASK,
        "auth": {"token": SECRET_MASK},
        "headers": {"X-A": SECRET_MASK, "X-B": SECRET_MASK},
        "targets": [{"key": SECRET_MASK}, {"key": SECRET_MASK}],
    }
    assert config["password"] == "p@ss"  # the original is untouched


def test_builtin_rest_json_marks_every_credential() -> None:
    assert {
        "auth.key",
        "auth.token",
        "auth.client_secret",
        "webhook.secret",
        "headers.*",
    } <= secret_fields(RestJsonConnector.config_schema)


def test_an_invalid_schema_is_refused() -> None:
    with pytest.raises(ConfigError, match="not valid JSON Schema"):
        check_schema({"type": "objekt"})


def test_one_of_errors_name_the_branch_problem() -> None:
    config = {"base_url": "https://a", "auth": {"type": "api_key"}}
    found = config_problems(config, RestJsonConnector.config_schema)
    assert any("'key' is a required property" in p.message for p in found), found


def test_a_masked_secret_sent_back_keeps_its_stored_value() -> None:
    stored = {"url": "https://a", "password": "p@ss", "auth": {"token": "tok"}}
    edited = redact(stored, SCHEMA) | {"url": "https://b"}
    edited["auth"] = {"token": "new-token"}
    assert restore_secrets(edited, stored, SCHEMA) == {
        "url": "https://b",
        "password": "p@ss",
        "auth": {"token": "new-token"},
    }
