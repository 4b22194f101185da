"""Connector instance configs: validation against the type's JSON Schema, and secret handling.

A property is a secret when its schema says `"writeOnly": true` or `"x-secret": true`. Secrets are
found anywhere in the schema (nested objects, `oneOf` branches, arrays), and named by dotted paths
("auth.client_secret"); `redact` masks them so configs can be shown and logged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JsonSchemaError
from jsonschema.exceptions import best_match

from connectors.errors import ConfigError
from schemas import SchemaProblem

__all__ = [
    "SECRET_MASK",
    "check_schema",
    "config_problems",
    "redact",
    "restore_secrets",
    "secret_fields",
    "validate_config",
]

SECRET_MASK = "********"  # noqa: S105 (the mask, not a secret)


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise ConfigError when `schema` itself is not a valid Draft 2020-12 JSON Schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except JsonSchemaError as exc:
        where = _path(exc.absolute_path)
        message = f"config_schema is not valid JSON Schema at {where}: {exc.message}"
        raise ConfigError(message) from exc


def config_problems(config: Any, schema: Mapping[str, Any]) -> list[SchemaProblem]:
    """Every way `config` fails `schema`, each with its path; empty when valid."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    out: list[SchemaProblem] = []
    for error in errors:
        # For oneOf/anyOf, the branch errors say more than "is not valid under any of".
        if error.context:
            best = best_match(error.context)
            assert best is not None
            out.append(SchemaProblem(_path(best.absolute_path), best.message))
        else:
            out.append(SchemaProblem(_path(error.absolute_path), error.message))
    return out


def validate_config(config: Any, schema: Mapping[str, Any]) -> None:
    """Raise ConfigError listing every problem of `config` (secret values never quoted)."""
    found = config_problems(config, schema)
    if found:
        secrets = secret_fields(schema)
        lines = []
        for problem in found:
            message = problem.message
            if secrets and isinstance(config, Mapping):
                for path in secrets:
                    value = _get(config, path.split("."))
                    if isinstance(value, str) and value and value in message:
                        message = message.replace(value, SECRET_MASK)
            lines.append(f"{problem.path}: {message}")
        raise ConfigError("invalid connector config: " + "; ".join(lines))


def _is_secret(schema: Mapping[str, Any]) -> bool:
    return schema.get("writeOnly") is True or schema.get("x-secret") is True


def _walk(schema: Any, prefix: str, out: set[str]) -> None:
    if not isinstance(schema, Mapping):
        return
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if isinstance(sub, Mapping) and _is_secret(sub):
            out.add(path)
        _walk(sub, path + ".", out)
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key) or ():
            _walk(branch, prefix, out)
    for key in ("then", "else", "if"):
        if key in schema:
            _walk(schema[key], prefix, out)
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        if _is_secret(additional):
            out.add(prefix + "*")
        _walk(additional, prefix + "*.", out)
    items = schema.get("items")
    if isinstance(items, Mapping):
        _walk(items, prefix + "[].", out)


def secret_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """Dotted paths of the secret properties (`*` = any key of a map, `[]` = any array item)."""
    out: set[str] = set()
    _walk(schema, "", out)
    return frozenset(out)


def _get(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, Mapping) and part in doc:
            doc = doc[part]
        else:
            return None
    return doc


def _mask(doc: Any, parts: list[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        if isinstance(doc, list):
            for item in doc:
                _mask(item, rest)
        return
    if not isinstance(doc, dict):
        return
    keys = list(doc) if head == "*" else [head] if head in doc else []
    for key in keys:
        if rest:
            _mask(doc[key], rest)
        elif doc[key] is not None:
            doc[key] = SECRET_MASK


def redact(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `config` with every secret value replaced by a mask, safe to show or log."""
    out = copy.deepcopy(dict(config))
    for path in secret_fields(schema):
        _mask(out, path.split("."))
    return out


def _restore(new: Any, old: Any, parts: list[str]) -> None:
    if not parts or not isinstance(new, dict) or not isinstance(old, Mapping):
        return
    head, rest = parts[0], parts[1:]
    keys = [k for k in new if k in old] if head == "*" else [head] if head in new else []
    for key in keys:
        if key not in old:
            continue
        if rest:
            _restore(new[key], old[key], rest)
        elif new[key] == SECRET_MASK:
            new[key] = old[key]


def restore_secrets(
    config: Mapping[str, Any], previous: Mapping[str, Any], schema: Mapping[str, Any]
) -> dict[str, Any]:
    """An edited config whose secrets still show the mask keep their stored values.

    Configs are shown redacted; when an admin edits one and sends it back, a secret left as
    the mask means "unchanged", not "set the password to ********".
    """
    out = copy.deepcopy(dict(config))
    for path in secret_fields(schema):
        if "[]" not in path.split("."):
            _restore(out, previous, path.split("."))
    return out
