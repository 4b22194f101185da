"""Fixtures of the delivery tests: a SQLite database, the runtime, the counting OPD server."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from delivery_fakes import CountingServer, FakeResolver
from sqlalchemy.orm import Session, sessionmaker

import hub.complaints.models
import hub.delivery.models
import hub.notifications.models  # noqa: F401  (tables on the metadata)
from hub.complaints.models import Complaint
from hub.db import Base, make_engine, make_sessionmaker, utcnow
from hub.delivery import relay, resolver
from hub.delivery.config import DeliverySettings
from hub.delivery.runtime import Runtime, configure

_codes = itertools.count(1)


def fast_settings(**overrides: Any) -> DeliverySettings:
    base: dict[str, Any] = dict(
        retry_schedule=[0, 0.2, 0.2, 0.2, 0.2],
        call_timeout=1.5,
        lease_margin=1.0,
        max_in_flight=2,
        sweep_grace=0.0,
        breaker_threshold=3,
        breaker_cooldown=60.0,
        resolver=None,
    )
    base.update(overrides)
    return DeliverySettings(**base)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    Base.metadata.create_all(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    srv = CountingServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def fake_resolver(server: CountingServer) -> Iterator[FakeResolver]:
    r = FakeResolver(
        {
            "opd-a": {"url": server.url("opd-a"), "webhook_secret": "s3cret-a"},
            "opd-b": {"url": server.url("opd-b")},
        },
        timeout=1.0,
    )
    resolver.set_resolver(r)
    yield r
    resolver.set_resolver(None)


@pytest.fixture
def enqueued() -> Iterator[list[uuid.UUID]]:
    """What the relay would have put on the broker (no broker in the in-process tests)."""
    sent: list[uuid.UUID] = []
    relay.set_sender(sent.append)
    relay.install()
    yield sent
    relay.uninstall()
    relay.set_sender(None)


@pytest.fixture
def rt(
    factory: sessionmaker[Session], fake_resolver: FakeResolver, enqueued: list[uuid.UUID]
) -> Iterator[Runtime]:
    runtime = Runtime(
        factory=factory, settings=fast_settings(), fernet=Fernet(Fernet.generate_key())
    )
    configure(runtime)
    yield runtime
    configure(None)
    if runtime._loop is not None:
        for c in fake_resolver.cache.values():
            runtime.run(c.aclose())
        runtime._loop.close()


def add_complaint(session: Session, **overrides: Any) -> Complaint:
    now = utcnow()
    values: dict[str, Any] = dict(
        id=uuid.uuid4(),
        tracking_code=f"LPG-2026-{next(_codes):06d}",
        channel="superapp",
        privacy="public",
        title="Jalan berlubang",
        description="Lubang besar di jalan depan pasar, berbahaya bagi motor.",
        category="jalan",
        contact={"name": "Siti", "phone": "+62811111111"},
        location={"lat": -5.4, "lon": 105.26, "region": "bandar-lampung"},
        institution="dinas-pu",
        status="triaged",
        created_at=now - timedelta(minutes=1),
        updated_at=now - timedelta(minutes=1),
        external_refs={},
        attachments=[],
    )
    values.update(overrides)
    complaint = Complaint(**values)
    session.add(complaint)
    return complaint
