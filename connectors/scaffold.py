"""`scaffold(name, dest)`: a new connector package an OPD developer can fill in and ship.

The package registers its class in the `hub.connectors` entry-point group, so after
`pip install` it appears in `hub connectors list`; its tests subclass the contract kit and run
against a respx-played app, so they pass before the first line of real code is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

__all__ = ["ScaffoldError", "scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class ScaffoldError(ValueError):
    pass


_PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "Lampung-In Hub connector for $title"
requires-python = ">=3.11"
dependencies = ["lampung-in-hub"]

[project.optional-dependencies]
test = ["pytest>=8", "respx>=0.21"]

# This line is what makes the hub find the connector.
[project.entry-points."hub.connectors"]
$name = "$package.connector:$cls"

[tool.setuptools]
packages = ["$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""")

_INIT = Template('''\
"""Lampung-In Hub connector `$name`."""

from $package.connector import $cls

__all__ = ["$cls"]
''')

_CONNECTOR = Template('''\
"""Connector `$name`: adapts the OPD app to the Lampung-In common schema.

Start from this REST/JSON example and change what your app needs. The rules that matter:
- use `self.client` (the hub's shared httpx client) through `connectors.http.send`, so failures
  become TransientError (retried) or PermanentError (dead-lettered) the same way everywhere;
- send the idempotency key so a retried delivery never makes a second record in your app;
- declare `fields_needed`: the hub sends nothing else (data minimisation);
- mark every credential in `config_schema` with "writeOnly": true (stored encrypted, redacted).
"""

from __future__ import annotations

from typing import Any

from connectors import CheckResult, Connector, DeliveryResult, UpdateBatch
from connectors.errors import ConnectorError, PermanentError
from connectors.http import json_body, send
from connectors.updates import build_status_update
from schemas.models import Complaint

# The app's status words -> the hub's statuses.
STATUS_MAP = {
    "received": "acknowledged",
    "working": "in_progress",
    "done": "resolved",
    "rejected": "rejected",
}


class $cls(Connector):
    name = "$name"
    version = "0.1.0"
    description = "$title"
    config_schema = {
        "$$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["base_url", "api_key"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "pattern": "^https?://"},
            "api_key": {"type": "string", "minLength": 8, "writeOnly": True},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 10},
        },
    }
    fields_needed = frozenset({"tracking_code", "title", "description", "category", "location"})

    def _url(self, path: str) -> str:
        return str(self.config["base_url"]).rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        return {"X-API-Key": str(self.config["api_key"])}

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        doc = self.minimised(complaint)
        payload = {
            "ref": doc["tracking_code"],
            "title": doc["title"],
            "text": doc["description"],
            "category": doc.get("category"),
            "location": doc.get("location"),
        }
        resp = await send(
            self.client,
            "POST",
            self._url("/reports"),
            json=payload,
            headers={**self._headers(), "Idempotency-Key": idempotency_key},
            timeout=float(self.config.get("timeout", 10)),
        )
        body = json_body(resp)
        if not isinstance(body, dict) or not body.get("id"):
            raise PermanentError("the app accepted the report but answered no id")
        return DeliveryResult(str(body["id"]), resp.status_code, resp.text[:2000])

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        params = {"after": cursor} if cursor else {}
        resp = await send(
            self.client, "GET", self._url("/updates"), params=params, headers=self._headers()
        )
        body: dict[str, Any] = json_body(resp)
        updates = [
            build_status_update(
                {
                    "external_ref": item["report_id"],
                    "status": item["status"],
                    "note": item.get("note"),
                    "occurred_at": item["at"],
                    "source_event_id": item["id"],
                },
                raw=item,
                status_map=STATUS_MAP,
                actor=self.name,
            )
            for item in body.get("items", [])
        ]
        return UpdateBatch(updates, body.get("cursor") or cursor)

    async def check(self) -> CheckResult:
        try:
            await send(self.client, "GET", self._url("/health"), headers=self._headers())
        except ConnectorError as exc:
            return CheckResult(False, f"{type(exc).__name__}: {exc}")
        return CheckResult(True, "the app answered")
''')

_TEST = Template('''\
"""The hub's standard connector tests, against the app played by respx.

Replace FakeApp by your app's own test server when it has one; keep the harness.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx
from connectors.testing import ConnectorContract, Harness
from schemas.models import Status

from $package.connector import STATUS_MAP, $cls

BASE = "https://$name.opd.example"
API_KEY = "test-api-key-123"
TO_APP = {ours: theirs for theirs, ours in STATUS_MAP.items()}


class FakeApp:
    """What the OPD app does, in memory: reports, one idempotency key each, status events."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.reports: dict[str, dict[str, object]] = {}
        self.keys: dict[str, str] = {}
        self.events: list[dict[str, object]] = []
        self.failure: httpx.Response | Exception | None = None
        router.post("/reports").mock(side_effect=self.create)
        router.get("/updates").mock(side_effect=self.updates)
        router.get("/health").mock(side_effect=self.health)

    def _fail(self) -> httpx.Response | None:
        failure, self.failure = self.failure, None
        if isinstance(failure, Exception):
            raise failure
        return failure

    def create(self, request: httpx.Request) -> httpx.Response:
        if (failed := self._fail()) is not None:
            return failed
        if request.headers.get("x-api-key") != API_KEY:
            return httpx.Response(401)
        key = request.headers["idempotency-key"]
        if key not in self.keys:
            ref = f"R-{len(self.reports) + 1}"
            self.reports[ref] = json.loads(request.content)
            self.keys[key] = ref
        return httpx.Response(201, json={"id": self.keys[key]})

    def updates(self, request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", 0))
        items = self.events[start:]
        return httpx.Response(200, json={"items": items, "cursor": str(start + len(items))})

    def health(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True})

    def set_status(self, ref: str, status: Status) -> None:
        self.events.append(
            {
                "id": f"e{len(self.events) + 1}",
                "report_id": ref,
                "status": TO_APP[status.value],
                "at": datetime.now(UTC).isoformat(),
            }
        )


@pytest.fixture
def app() -> Iterator[FakeApp]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield FakeApp(router)


class Test$cls(ConnectorContract):
    connector_class = $cls

    @pytest.fixture
    def harness(self, app: FakeApp) -> Harness:
        def fail(failure: httpx.Response | Exception) -> None:
            app.failure = failure

        return Harness(
            config={"base_url": BASE, "api_key": API_KEY},
            fail_transient=lambda: fail(httpx.Response(503)),
            fail_permanent=lambda: fail(httpx.Response(422, json={"error": "invalid"})),
            fail_timeout=lambda: fail(httpx.ReadTimeout("the app hangs")),
            emit_status=lambda ref, status: app.set_status(ref, status),
            received=lambda ref: app.reports[ref],
        )
''')

_README = Template("""\
# $dist

A [Lampung-In Hub](https://hub.lampungprov.go.id) connector for $title.

## Develop

    pip install -e ".[test]"
    pytest

The tests are the hub's standard contract (`connectors.testing.ConnectorContract`): config
schema, secret redaction, delivery and its idempotency, error classification (5xx and timeouts
are transient, 4xx permanent) and status updates. Keep them passing.

## Install into the hub

    pip install $dist
    hub connectors list          # `$name` appears
    hub connectors add $name ... # register an instance with its config

The entry point in `pyproject.toml` (`[project.entry-points."hub.connectors"]`) is what the hub
discovers; no change to the hub is needed.
""")


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def scaffold(name: str, dest_dir: Path | str) -> Path:
    """Write the package for connector `name` under `dest_dir`; the package root is returned."""
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"connector name {name!r} must be lower_snake_case: a letter, then letters, digits "
            "or _ (2-64 characters)"
        )
    package = f"hub_connector_{name}"
    dist = f"hub-connector-{name.replace('_', '-')}"
    root = Path(dest_dir) / dist
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another name or directory")
    cls = "".join(part.title() for part in name.split("_")) + "Connector"
    values = {
        "name": name,
        "package": package,
        "dist": dist,
        "cls": cls,
        "title": _title(name),
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{package}/__init__.py": _INIT,
        f"{package}/connector.py": _CONNECTOR,
        "tests/test_contract.py": _TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.substitute(values), encoding="utf-8")
    return root
