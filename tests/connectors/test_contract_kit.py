"""The contract kit has teeth: a connector that breaks the rules fails the matching tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BROKEN = """
import httpx
import pytest
import respx

from connectors import Connector, DeliveryResult, PermanentError
from connectors.testing import ConnectorContract, Harness

BASE = "https://broken.example"


class Sloppy(Connector):
    name = "sloppy"
    version = "0.1.0"
    description = "breaks the rules on purpose"
    config_schema = {
        "type": "object",
        # the password is not marked writeOnly: it would be stored and shown in clear
        "properties": {"base_url": {"type": "string"}, "password": {"type": "string"}},
    }

    async def deliver(self, complaint, *, idempotency_key):
        try:
            resp = await self.client.post(BASE + "/r", json={"t": complaint.title})
        except httpx.HTTPError as exc:
            raise PermanentError(str(exc)) from exc  # a timeout is not permanent
        if resp.status_code >= 400:
            raise PermanentError(f"HTTP {resp.status_code}")  # nor is a 503
        return DeliveryResult(resp.json()["id"])


class TestSloppy(ConnectorContract):
    connector_class = Sloppy

    @pytest.fixture
    def harness(self):
        with respx.mock(base_url=BASE, assert_all_called=False) as router:
            route = router.post("/r")
            route.return_value = httpx.Response(200, json={"id": "X1"})

            def fail(outcome):
                route.side_effect = [outcome, httpx.Response(200, json={"id": "X1"})]

            yield Harness(
                config={"base_url": BASE, "password": "hunter2-hunter2"},
                fail_transient=lambda: fail(httpx.Response(503)),
                fail_permanent=lambda: fail(httpx.Response(400)),
                fail_timeout=lambda: fail(httpx.ReadTimeout("hang")),
            )
"""


@pytest.mark.slow
def test_a_connector_that_breaks_the_rules_fails_the_kit(tmp_path: Path) -> None:
    (tmp_path / "test_sloppy.py").write_text(textwrap.dedent(BROKEN))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "."],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    failed = {
        line.split("::")[-1].split(" ")[0]
        for line in done.stdout.splitlines()
        if line.startswith("FAILED")
    }
    assert failed == {
        "test_secrets_are_marked_and_redacted",
        "test_a_failing_app_raises_transient_error",
        "test_a_hanging_app_raises_transient_error_within_the_timeout",
    }, done.stdout + done.stderr
