"""Dead letters over HTTP and the CLI, and the per-instance status webhook."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from delivery_fakes import Behaviour, CountingServer, add_complaint, signature
from fastapi import FastAPI
from typer.testing import CliRunner

from hub.complaints.models import Complaint
from hub.db import utcnow
from hub.delivery import engine, outbox
from hub.delivery.api import admin_router, webhook_router
from hub.delivery.cli import app as deliveries_cli
from hub.delivery.engine import Step
from hub.delivery.models import MessageState, OutboxMessage
from hub.delivery.runtime import Runtime


class AsgiClient:
    """A synchronous face on httpx's ASGI transport (starlette's AsgiClient is deprecated)."""

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://hub.test")

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url, **kw))

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kw))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[AsgiClient]:
    app = FastAPI()
    app.include_router(admin_router(), prefix="/v1/admin")
    app.include_router(webhook_router(), prefix="/v1")
    c = AsgiClient(app)
    yield c
    c.close()


def dead_letter(rt: Runtime, server: CountingServer) -> uuid.UUID:
    server.set("opd-a", Behaviour(status=422))
    with rt.factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        m = outbox.stage(
            session, kind="deliver_complaint", payload={}, target="opd-a", complaint_id=c.id
        )
    assert engine.process(rt, m.id) == Step.DEAD
    return m.id


def test_dead_letters_are_listed_and_shown_with_every_attempt(
    rt: Runtime, server: CountingServer, client: AsgiClient
) -> None:
    mid = dead_letter(rt, server)
    listing = client.get("/v1/admin/deliveries").json()
    assert [i["id"] for i in listing["items"]] == [str(mid)]
    detail = client.get(f"/v1/admin/deliveries/{mid}").json()
    assert detail["state"] == "dead"
    (attempt,) = detail["attempt_log"]
    assert attempt["status_code"] == 422 and attempt["outcome"] == "permanent"
    assert attempt["error_class"] == "PermanentError" and "configured" in attempt["response"]
    assert client.get(f"/v1/admin/deliveries/{uuid.uuid4()}").status_code == 404
    assert client.get("/v1/admin/deliveries?state=bogus").status_code == 422


def test_a_replayed_dead_letter_is_delivered_once_the_app_recovers(
    rt: Runtime, server: CountingServer, client: AsgiClient, enqueued: list[uuid.UUID]
) -> None:
    mid = dead_letter(rt, server)
    server.set("opd-a", Behaviour())
    enqueued.clear()
    r = client.post(f"/v1/admin/deliveries/{mid}/replay")
    assert r.status_code == 200 and enqueued == [mid]  # relayed after the commit
    assert engine.process(rt, mid) == Step.DELIVERED
    detail = client.get(f"/v1/admin/deliveries/{mid}").json()
    assert detail["state"] == "delivered" and detail["replays"] == 1
    assert [a["outcome"] for a in detail["attempt_log"]] == ["permanent", "delivered"]
    assert client.post(f"/v1/admin/deliveries/{mid}/replay").status_code == 409


def test_many_dead_letters_are_replayed_at_once_by_target(
    rt: Runtime, server: CountingServer, client: AsgiClient
) -> None:
    ids = {dead_letter(rt, server) for _ in range(3)}
    r = client.post("/v1/admin/deliveries/replay", json={"target": "opd-a"})
    assert set(map(uuid.UUID, r.json()["replayed"])) == ids
    with rt.factory() as session:
        for mid in ids:
            m = session.get(OutboxMessage, mid)
            assert m is not None and m.state == MessageState.PENDING and m.attempts == 0


def test_a_dead_letter_is_discarded_with_a_reason(
    rt: Runtime, server: CountingServer, client: AsgiClient
) -> None:
    mid = dead_letter(rt, server)
    assert (
        client.post(f"/v1/admin/deliveries/{mid}/discard", json={"reason": ""}).status_code == 422
    )
    r = client.post(f"/v1/admin/deliveries/{mid}/discard", json={"reason": "OPD app retired"})
    assert r.status_code == 200
    detail = client.get(f"/v1/admin/deliveries/{mid}").json()
    assert detail["state"] == "discarded" and detail["discard_reason"] == "OPD app retired"
    assert (
        client.post(f"/v1/admin/deliveries/{mid}/discard", json={"reason": "x"}).status_code == 409
    )


def test_the_cli_lists_shows_replays_and_discards(rt: Runtime, server: CountingServer) -> None:
    runner = CliRunner()
    first, second = dead_letter(rt, server), dead_letter(rt, server)
    out = runner.invoke(deliveries_cli, ["list"])
    assert out.exit_code == 0 and str(first) in out.output and str(second) in out.output
    shown = runner.invoke(deliveries_cli, ["show", str(first)])
    assert shown.exit_code == 0 and json.loads(shown.output)["attempt_log"][0]["status_code"] == 422
    assert runner.invoke(deliveries_cli, ["replay", str(first)]).exit_code == 0
    assert (
        runner.invoke(deliveries_cli, ["discard", str(second), "--reason", "duplicate"]).exit_code
        == 0
    )
    states = json.loads(runner.invoke(deliveries_cli, ["list", "--state", "all", "--json"]).output)
    assert {s["id"]: s["state"] for s in states} == {
        str(first): "pending",
        str(second): "discarded",
    }
    missing = runner.invoke(deliveries_cli, ["show", str(uuid.uuid4())])
    assert missing.exit_code == 1
    assert runner.invoke(deliveries_cli, ["replay"]).exit_code != 0


def _webhook(client: AsgiClient, target: str, doc: object, secret: str | None) -> httpx.Response:
    body = json.dumps(doc).encode()
    headers = {"content-type": "application/json"}
    if secret:
        headers["x-hub-signature"] = signature(secret, body)
    return client.post(f"/v1/connectors/{target}/webhook", content=body, headers=headers)


def test_the_status_webhook_authenticates_validates_and_applies_once(
    rt: Runtime, client: AsgiClient
) -> None:
    with rt.factory() as session, session.begin():
        c = add_complaint(session, status="dispatched", external_refs={"opd-a": "A-7"})
    update = {
        "external_ref": "A-7",
        "status": "in_progress",
        "occurred_at": utcnow().isoformat(),
        "source_event_id": "a-1",
        "note": "Perbaikan dijadwalkan",
    }
    doc = {"updates": [update]}
    assert _webhook(client, "opd-a", doc, None).status_code == 401
    assert _webhook(client, "opd-a", doc, "wrong").status_code == 401
    assert _webhook(client, "nope", doc, "s3cret-a").status_code == 401  # no id probing
    r = _webhook(client, "opd-a", doc, "s3cret-a")
    assert r.status_code == 200
    assert r.json()["results"][0]["outcome"] == "applied"
    again = _webhook(client, "opd-a", doc, "s3cret-a")
    assert again.json()["results"][0]["outcome"] == "duplicate"
    with rt.factory() as session:
        row = session.get(Complaint, c.id)
        assert row is not None and row.status == "in_progress"


def test_a_webhook_the_connector_cannot_parse_is_a_clear_400(
    rt: Runtime, client: AsgiClient
) -> None:
    bad = {"updates": [{"external_ref": "A-7", "status": "teleported"}]}
    r = _webhook(client, "opd-a", bad, "s3cret-a")
    assert r.status_code == 400 and "teleported" in r.json()["detail"]


def test_the_cli_sets_an_opds_concurrency_limit(rt: Runtime) -> None:
    runner = CliRunner()
    out = runner.invoke(deliveries_cli, ["targets", "--target", "opd-a", "--limit", "3"])
    assert out.exit_code == 0 and "max_in_flight=3" in out.output
    out = runner.invoke(deliveries_cli, ["targets", "--target", "opd-a", "--limit", "default"])
    assert "max_in_flight=default" in out.output
    assert runner.invoke(deliveries_cli, ["targets", "--target", "opd-a", "--limit", "0"]).exit_code
