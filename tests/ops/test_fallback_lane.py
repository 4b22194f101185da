"""The human fallback lane through the API and CLI, against the simulated DLH app.

A suspended connector instance shows its state; an admin re-enables it after a passing check,
and the parked messages are replayed to the app exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hub.access import Principal
from hub.cli import app as cli
from hub.complaints.models import Complaint, ComplaintEvent
from hub.db import transaction, utcnow
from hub.delivery import engine, outbox, suspension
from hub.delivery.engine import Step, lock_target
from hub.delivery.models import MessageKind, MessageState, OutboxMessage, TargetState
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import get_runtime
from hub.integrations.resolver import InstanceResolver
from hub.settings import Settings, get_settings
from hub.simulators import DLHApp
from hub.simulators.configs import dlh_config
from tests.api.helpers import submission
from tests.conftest import ADMIN, opd_developer

Login = Callable[[Principal | None], None]
runner = CliRunner()


@pytest.fixture
def dlh() -> Iterator[DLHApp]:
    with DLHApp() as sim:
        yield sim


def register(client: TestClient, dlh: DLHApp, **extra: object) -> None:
    body = {
        "id": "dlh-rest",
        "connector": "rest_json",
        "institution": "dlh-prov",
        "config": dlh_config(dlh),
        "categories": ["sampah_lingkungan"],
        "enable": True,
        **extra,
    }
    response = client.post("/v1/connector-instances", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["enabled"] is True


def stage_complaint(app: FastAPI) -> uuid.UUID:
    now = utcnow() - timedelta(minutes=5)
    with transaction(app.state.sessionmaker) as session:
        complaint = Complaint(
            id=uuid.uuid4(),
            tracking_code=f"LPG-2026-{uuid.uuid4().int % 10**6:06d}",
            channel="superapp",
            privacy="public",
            title="Sampah menumpuk",
            description="Sampah menumpuk di pinggir sungai sejak seminggu, berbau.",
            category="sampah_lingkungan",
            location={"lat": -5.4, "lon": 105.26, "region": "bandar-lampung"},
            institution="dlh-prov",
            status="triaged",
            created_at=now,
            updated_at=now,
            external_refs={},
            attachments=[],
        )
        session.add(complaint)
        session.flush()
        message = outbox.stage(
            session,
            kind=MessageKind.DELIVER_COMPLAINT,
            payload={},
            target="dlh-rest",
            complaint_id=complaint.id,
        )
    return message.id


def suspend(app: FastAPI) -> None:
    """What the engine does after the app kept failing (tests/delivery prove that part)."""
    with transaction(app.state.sessionmaker) as session:
        suspension.suspend(session, lock_target(session, "dlh-rest"), "6 dead in a row", utcnow())


def test_a_suspended_instance_shows_it_and_resumes_on_enable_replaying_what_was_parked(
    app: FastAPI,
    client: TestClient,
    login: Login,
    dlh: DLHApp,
    enqueued_after_commit: list[uuid.UUID],
) -> None:
    login(ADMIN)
    register(client, dlh)
    mid = stage_complaint(app)
    suspend(app)

    login(opd_developer("dlh-prov"))
    view = client.get("/v1/connector-instances/dlh-rest").json()
    assert view["enabled"] is True
    assert view["delivery"]["suspended"] is True
    assert view["delivery"]["reason"] == "6 dead in a row"
    assert view["delivery"]["parked"] == 1
    with app.state.sessionmaker() as session:
        m = session.get(OutboxMessage, mid)
        assert m is not None and m.state == MessageState.PARKED
        types = session.scalars(
            select(ComplaintEvent.type).where(ComplaintEvent.complaint_id == m.complaint_id)
        ).all()
        assert list(types) == ["complaint.inbox"]

    enqueued_after_commit.clear()
    response = client.post("/v1/connector-instances/dlh-rest/enable")
    assert response.status_code == 200, response.text
    assert response.json()["replayed"] == 1
    assert response.json()["delivery"]["suspended"] is False
    assert enqueued_after_commit == [mid]

    rt, resolver = get_runtime(), get_resolver()
    try:
        assert engine.process(rt, mid) == Step.DELIVERED
    finally:
        assert isinstance(resolver, InstanceResolver)
        rt.run(resolver.aclose())
        rt.close()
    assert dlh.records_for_key(str(mid)) == 1
    with app.state.sessionmaker() as session:
        m = session.get(OutboxMessage, mid)
        assert m is not None and m.state == MessageState.DELIVERED and m.replays == 1


def test_enable_refuses_to_resume_when_the_check_fails(
    app: FastAPI, client: TestClient, login: Login
) -> None:
    login(ADMIN)
    with DLHApp() as sim:
        register(client, sim)
    stage_complaint(app)
    suspend(app)  # the app is gone now

    response = client.post("/v1/connector-instances/dlh-rest/enable")
    assert response.status_code == 422
    view = client.get("/v1/connector-instances/dlh-rest").json()
    assert view["delivery"]["suspended"] is True and view["delivery"]["parked"] == 1


def test_the_opd_rate_limit_reaches_the_engine(
    app: FastAPI, client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    register(client, dlh, rate_limit_per_minute=120)
    assert (
        client.patch("/v1/connector-instances/dlh-rest", json={"rate_limit_per_minute": 30}).json()[
            "rate_limit_per_minute"
        ]
        == 30
    )
    with app.state.sessionmaker() as session:
        row = session.get(TargetState, "dlh-rest")
        assert row is not None and row.rate_per_minute == 30


def test_the_cli_lists_the_suspension_and_enable_resumes(
    app: FastAPI,
    client: TestClient,
    login: Login,
    dlh: DLHApp,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    enqueued_after_commit: list[uuid.UUID],
) -> None:
    login(ADMIN)
    register(client, dlh)
    mid = stage_complaint(app)
    suspend(app)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("HUB_SECRET_KEY_FILE", str(settings.data_dir / "secret.key"))
    get_settings.cache_clear()
    try:
        listed = runner.invoke(cli, ["connectors", "instances"])
        assert listed.exit_code == 0, listed.output
        assert "dlh-rest" in listed.output and "SUSPENDED" in listed.output
        assert "(1 parked)" in listed.output

        enqueued_after_commit.clear()
        enabled = runner.invoke(cli, ["connectors", "enable", "dlh-rest"])
        assert enabled.exit_code == 0, enabled.output
        assert "1 parked messages replayed" in enabled.output
        assert enqueued_after_commit == [mid]
        listed = runner.invoke(cli, ["connectors", "instances"])
        assert "SUSPENDED" not in listed.output and "enabled" in listed.output
    finally:
        get_settings.cache_clear()


def test_a_new_complaint_for_a_suspended_instance_goes_straight_to_the_inbox(
    app: FastAPI, client: TestClient, login: Login, dlh: DLHApp
) -> None:
    login(ADMIN)
    register(client, dlh, institution="dlh-kota-bandar-lampung")  # where the rules send it
    suspend(app)
    login(None)

    response = client.post("/v1/complaints", json=submission())
    assert response.status_code == 201, response.text
    complaint_id = uuid.UUID(response.json()["id"])

    with app.state.sessionmaker() as session:
        (m,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id)
        )
        assert m.target == "dlh-rest" and m.state == MessageState.PARKED  # kept for the replay
        types = session.scalars(
            select(ComplaintEvent.type).where(ComplaintEvent.complaint_id == complaint_id)
        ).all()
    assert "complaint.inbox" in types
    assert dlh.records_for_key(str(m.id)) == 0
