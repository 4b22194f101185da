"""The contract test kit: the standard tests every connector must pass, adopted by one subclass.

    from connectors.testing import ConnectorContract, Harness

    class TestMyConnector(ConnectorContract):
        connector_class = MyConnector

        @pytest.fixture
        def harness(self, my_test_app) -> Harness:
            return Harness(
                config={"base_url": my_test_app.url, "api_key": "k" * 20},
                fail_transient=lambda: my_test_app.fail("error", status=503, times=1),
                fail_permanent=lambda: my_test_app.fail("error", status=400, times=1),
                fail_timeout=lambda: my_test_app.fail("timeout", times=1),
                emit_status=lambda ref, status: my_test_app.webhook_for(ref, status),
                received=my_test_app.record,
            )

The test app can be a simulator (real HTTP) or respx routes; the kit only talks to it through the
harness. Tests are async (anyio, asyncio backend); pytest's anyio plugin ships with anyio.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

import schemas
from connectors.base import Connector, WebhookRequest
from connectors.config import SECRET_MASK, check_schema, redact, secret_fields, validate_config
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from connectors.http import build_client
from connectors.minimise import unknown_fields
from schemas.models import Complaint, Status, StatusUpdate

__all__ = ["ConnectorContract", "Harness", "sample_complaint"]

_SECRETISH = re.compile(r"(^|_)(secret|password|passwd|token|api_key|apikey|key)$", re.I)


@dataclass
class Harness:
    """How the kit reaches and steers the test app behind a connector."""

    config: dict[str, Any]
    # Make the app's next answer a failure worth retrying (e.g. HTTP 503).
    fail_transient: Callable[[], None]
    # Make the app's next answer a refusal that will never succeed (e.g. HTTP 400/422).
    fail_permanent: Callable[[], None]
    # Make the app's next answer hang past `client_timeout` (None: not applicable).
    fail_timeout: Callable[[], None] | None = None
    # The app moves `external_ref` to a status: returns the signed webhook it sends (webhook
    # connectors) or None when the connector must poll for it.
    emit_status: Callable[[str, Status], WebhookRequest | None] | None = None
    # What the app stored for `external_ref`, to check the complaint was mapped.
    received: Callable[[str], Mapping[str, Any]] | None = None
    client_timeout: float = 0.5
    # Delivering the same complaint twice with one idempotency key yields one record.
    idempotent: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def sample_complaint(**changes: Any) -> Complaint:
    """The common schema's example complaint (a pothole in Natar), with `changes` applied."""
    doc = dict(schemas.load("complaint")["examples"][0])
    doc.update(changes)
    return Complaint.model_validate(doc)


def _walk_keys(doc: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(doc, Mapping):
        for key, value in doc.items():
            path = f"{prefix}{key}"
            yield path, value
            yield from _walk_keys(value, path + ".")


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, Mapping):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)
    elif isinstance(doc, str):
        yield doc


class ConnectorContract:
    """Subclass with `connector_class` and a `harness` fixture to get the standard tests."""

    connector_class: ClassVar[type[Connector]]

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError("override the `harness` fixture in your contract test class")

    @pytest.fixture
    def complaint(self) -> Complaint:
        return sample_complaint()

    def connector(self, harness: Harness) -> Connector:
        return self.connector_class(harness.config, build_client(timeout=harness.client_timeout))

    # -- the type itself --------------------------------------------------------------------------
    def test_declares_name_version_description(self) -> None:
        cls = self.connector_class
        assert re.fullmatch(r"[a-z][a-z0-9_]{1,63}", cls.name), "name: lower_snake_case"
        assert re.fullmatch(r"\d+\.\d+\.\d+.*", cls.version), "version: semantic version"
        assert cls.description.strip(), "description: one line for `hub connectors list`"

    def test_config_schema_is_valid_draft_2020_12(self) -> None:
        schema = self.connector_class.config_schema
        check_schema(schema)
        assert schema.get("type") == "object", "a config is a JSON object"
        with pytest.raises(ConfigError):
            validate_config([], schema)

    def test_fields_needed_are_complaint_fields(self) -> None:
        needed = self.connector_class.fields_needed
        if needed is not None:
            assert unknown_fields(needed) == []

    def test_sample_config_validates(self, harness: Harness) -> None:
        validate_config(harness.config, self.connector_class.config_schema)

    def test_secrets_are_marked_and_redacted(self, harness: Harness) -> None:
        schema = self.connector_class.config_schema
        secrets = secret_fields(schema)
        redacted = redact(harness.config, schema)
        text = json.dumps(redacted)
        for path, value in _walk_keys(harness.config):
            name = path.rsplit(".", 1)[-1]
            if _SECRETISH.search(name) and isinstance(value, str):
                generic = {p.replace("*", name) for p in secrets}
                assert path in secrets or path in generic, f"{path} looks secret: mark it writeOnly"
                assert value not in text, f"secret {path} survives redaction"
                assert SECRET_MASK in text

    # -- talking to the app ------------------------------------------------------------------------
    @pytest.mark.anyio
    async def test_check_passes_against_a_healthy_app(self, harness: Harness) -> None:
        connector = self.connector(harness)
        try:
            result = await connector.check()
        finally:
            await connector.aclose()
        assert result.ok, result.detail

    async def _deliver(self, harness: Harness, complaint: Complaint, key: str) -> str:
        if not self.connector_class.supports("deliver"):
            pytest.skip(f"{self.connector_class.name} does not deliver complaints")
        connector = self.connector(harness)
        try:
            result = await connector.deliver(complaint, idempotency_key=key)
        finally:
            await connector.aclose()
        assert isinstance(result.external_ref, str) and result.external_ref
        return result.external_ref

    @pytest.mark.anyio
    async def test_deliver_maps_the_complaint_and_returns_an_external_ref(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        ref = await self._deliver(harness, complaint, "contract-deliver-1")
        if harness.received is not None:
            stored = harness.received(ref)
            found = " ".join(_strings(stored))
            assert complaint.title in found, f"the app did not get the title; it got {stored!r}"

    @pytest.mark.anyio
    async def test_redelivery_with_the_same_key_makes_no_second_record(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        if not harness.idempotent:
            pytest.skip("this app cannot de-duplicate deliveries")
        first = await self._deliver(harness, complaint, "contract-same-key")
        second = await self._deliver(harness, complaint, "contract-same-key")
        assert first == second

    @pytest.mark.anyio
    async def test_a_failing_app_raises_transient_error(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        harness.fail_transient()
        with pytest.raises(TransientError):
            await self._deliver(harness, complaint, "contract-transient")

    @pytest.mark.anyio
    async def test_a_hanging_app_raises_transient_error_within_the_timeout(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        if harness.fail_timeout is None:
            pytest.skip("the harness cannot make the app hang")
        harness.fail_timeout()
        started = time.monotonic()
        with pytest.raises(TransientError):
            await self._deliver(harness, complaint, "contract-timeout")
        elapsed = time.monotonic() - started
        assert elapsed < harness.client_timeout * 4 + 1, (
            f"gave up after {elapsed:.1f}s; does the config's own timeout exceed the client's?"
        )

    @pytest.mark.anyio
    async def test_a_refusing_app_raises_permanent_error(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        harness.fail_permanent()
        with pytest.raises(PermanentError):
            await self._deliver(harness, complaint, "contract-permanent")

    async def _status_updates(self, harness: Harness, ref: str) -> list[StatusUpdate]:
        assert harness.emit_status is not None
        webhook = harness.emit_status(ref, Status.IN_PROGRESS)
        connector = self.connector(harness)
        try:
            if webhook is not None:
                return await connector.parse_webhook(webhook)
            return (await connector.fetch_updates(None)).updates
        finally:
            await connector.aclose()

    @pytest.mark.anyio
    async def test_status_updates_are_schema_valid(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        cls = self.connector_class
        if not (cls.supports("parse_webhook") or cls.supports("fetch_updates")):
            pytest.skip(f"{cls.name} reads no status (OPD staff set it in the hub)")
        assert harness.emit_status is not None, "harness.emit_status is needed to test status"
        ref = await self._deliver(harness, complaint, "contract-status")
        updates = await self._status_updates(harness, ref)
        mine = [u for u in updates if u.external_ref == ref]
        assert mine, f"no update for {ref} among {updates!r}"
        for update in updates:
            schemas.validate(update.model_dump(mode="json", exclude_none=True), "status-update")
        assert mine[-1].status is Status.IN_PROGRESS

    @pytest.mark.anyio
    async def test_a_tampered_webhook_is_refused(
        self, harness: Harness, complaint: Complaint
    ) -> None:
        if not self.connector_class.supports("parse_webhook") or harness.emit_status is None:
            pytest.skip("no status webhooks")
        ref = await self._deliver(harness, complaint, "contract-tamper")
        webhook = harness.emit_status(ref, Status.IN_PROGRESS)
        if webhook is None:
            pytest.skip("this instance polls")
        forged = WebhookRequest(
            webhook.method, webhook.headers, webhook.body.replace(b"}", b" }", 1), webhook.query
        )
        connector = self.connector(harness)
        try:
            with pytest.raises(AuthError):
                await connector.parse_webhook(forged)
        finally:
            await connector.aclose()

    @pytest.mark.anyio
    async def test_errors_carry_a_message(self, harness: Harness, complaint: Complaint) -> None:
        harness.fail_permanent()
        with pytest.raises(ConnectorError) as caught:
            await self._deliver(harness, complaint, "contract-message")
        assert str(caught.value).strip()
