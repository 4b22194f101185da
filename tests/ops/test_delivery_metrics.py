"""`/metrics` shows the outbox as the workers left it: depth per target, dead letters, age."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.db import transaction, utcnow
from hub.delivery.models import MessageKind, MessageState, OutboxMessage, TargetState
from hub.ops.delivery_metrics import DeliveryCollector


def add(app: FastAPI, target: str, state: str = MessageState.PENDING, **values: object) -> None:
    with transaction(app.state.sessionmaker) as session:
        session.add(
            OutboxMessage(
                id=uuid.uuid4(),
                kind=MessageKind.WEBHOOK if target.startswith("webhook:") else "deliver_complaint",
                target=target,
                payload={},
                state=state,
                **values,
            )
        )


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_show_outbox_depth_per_target_dead_letters_in_flight_and_oldest_age(
    app: FastAPI, client: TestClient
) -> None:
    now = utcnow()
    add(app, "dlh-rest", created_at=now - timedelta(minutes=10))
    add(app, "dlh-rest", created_at=now - timedelta(minutes=1))
    add(app, "dlh-rest", leased_until=now + timedelta(minutes=1))
    add(app, "dlh-rest", MessageState.DEAD)
    add(app, "dlh-rest", MessageState.DELIVERED)  # history: not a gauge
    add(app, "bm-soap", MessageState.PARKED)
    for _ in range(3):  # one label for all subscriptions: bounded cardinality
        add(app, f"webhook:{uuid.uuid4()}")
    with transaction(app.state.sessionmaker) as session:
        session.add(TargetState(target="bm-soap", suspended_at=now, breaker_state="open"))

    client.get("/healthz")
    got = samples(client)

    assert got[("hub_outbox_metrics_up", ())] == 1
    depth = "hub_outbox_messages"
    assert got[(depth, (("state", "pending"), ("target", "dlh-rest")))] == 3
    assert got[(depth, (("state", "dead"), ("target", "dlh-rest")))] == 1
    assert got[(depth, (("state", "parked"), ("target", "bm-soap")))] == 1
    assert got[(depth, (("state", "pending"), ("target", "webhook")))] == 3
    assert not any(k[0] == depth and ("state", "delivered") in k[1] for k in got)
    assert got[("hub_outbox_in_flight", (("target", "dlh-rest"),))] == 1
    age = got[("hub_outbox_oldest_pending_age_seconds", (("target", "dlh-rest"),))]
    assert 600 <= age < 700
    assert got[("hub_delivery_target_suspended", (("target", "bm-soap"),))] == 1
    assert got[("hub_delivery_breaker_open", (("target", "bm-soap"),))] == 1
    assert any(k[0] == "hub_http_requests_total" for k in got)  # the process's own counters


def test_enqueues_are_counted_by_the_process_that_made_them(
    app: FastAPI, client: TestClient
) -> None:
    from hub.delivery import outbox

    before = samples(client).get(("hub_outbox_enqueued_total", (("result", "ok"),)), 0.0)
    with transaction(app.state.sessionmaker) as session:
        outbox.stage(session, kind=MessageKind.WEBHOOK, payload={}, target="webhook:x")
    after = samples(client)[("hub_outbox_enqueued_total", (("result", "ok"),))]
    assert after == before + 1


def test_a_scrape_still_answers_when_the_database_is_unreachable() -> None:
    def broken() -> object:
        raise OSError("database down")

    collector = DeliveryCollector(broken)  # type: ignore[arg-type]
    (up,) = list(collector.collect())
    assert up.name == "hub_outbox_metrics_up" and up.samples[0].value == 0
