"""Fixtures of the delivery tests: a SQLite database, the runtime, the counting OPD server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from delivery_fakes import CountingServer, FakeResolver, fast_settings
from sqlalchemy.orm import Session, sessionmaker

import hub.complaints.models
import hub.delivery.models
import hub.notifications.models  # noqa: F401  (tables on the metadata)
from hub.db import Base, make_engine, make_sessionmaker
from hub.delivery import relay, resolver
from hub.delivery.runtime import Runtime, configure


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
