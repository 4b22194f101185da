"""Fixtures of the delivery tests: a SQLite database, the runtime, the counting OPD server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from delivery_fakes import CountingServer, FakeResolver, fast_settings
from sqlalchemy.orm import Session, sessionmaker

import hub.complaints.models
import hub.delivery.models
import hub.notifications.models  # noqa: F401  (tables on the metadata)
from hub.db import Base, make_engine, make_sessionmaker, utcnow
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


class Clock:
    """The engine's clock in tests: moves only when told (no sleeping).  It starts a minute
    ahead of the wall clock, so what the test stages (stamped with the wall clock) is due."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """The migrated hub schema (SQLite and PostgreSQL: `database_url` runs each test twice)."""
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def make_rt(
    db_factory: sessionmaker[Session], fake_resolver: FakeResolver, enqueued: list[uuid.UUID]
) -> Iterator[Callable[..., Runtime]]:
    """Runtimes on the shared database (one per simulated worker process), with a clock."""
    made: list[Runtime] = []

    def build(clock: Clock, **settings: Any) -> Runtime:
        runtime = Runtime(
            factory=db_factory,
            settings=fast_settings(**settings),
            fernet=Fernet(Fernet.generate_key()),
            clock=clock,
        )
        made.append(runtime)
        return runtime

    yield build
    configure(None)
    for runtime in made:
        if runtime._loop is not None:
            for c in fake_resolver.cache.values():
                runtime.run(c.aclose())
            runtime._loop.close()
    fake_resolver.cache.clear()
