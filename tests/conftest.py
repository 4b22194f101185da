"""Fixtures shared by the whole suite: settings, databases (SQLite and PostgreSQL), the app.

The real-service tests run against the machine's PostgreSQL and Redis. Under CI (CI=true) a
missing service fails the run loudly; on a developer machine those tests skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal, anonymous_only
from hub.app import create_app
from hub.db import make_engine
from hub.delivery import relay
from hub.migrate import upgrade
from hub.models import all_metadata
from hub.routing.dispatch import Predictor
from hub.routing.service import Triage, set_process_triage
from hub.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run against it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped at the end."""
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"hub_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs once on SQLite (embedded default) and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:  # leave seed data, remove what the test wrote
        kept = {"institutions", "categories", "alembic_version"}
        tables = [t.name for m in all_metadata for t in m.sorted_tables if t.name not in kept]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, env="test")


@pytest.fixture(scope="session")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """One trained triage classifier for the whole run (training takes a second or two)."""
    from hub.triage.training import default_classifier

    return default_classifier(tmp_path_factory.mktemp("triage"))


@pytest.fixture
def make_app(
    classifier: Predictor, enqueued_after_commit: list[uuid.UUID]
) -> Callable[[Settings], FastAPI]:
    """An app for `settings` that shares the trained classifier (no training thread per test)
    and captures what the relay would publish."""

    def make(settings: Settings) -> FastAPI:
        application = create_app(settings)
        application.state.triage = Triage(settings.data_dir, classifier=classifier)
        set_process_triage(application.state.triage)
        relay.set_sender(enqueued_after_commit.append)
        return application

    return make


@pytest.fixture
def app(settings: Settings, make_app: Callable[[Settings], FastAPI]) -> Iterator[FastAPI]:
    application = make_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def login(app: FastAPI) -> Callable[[Principal | None], None]:
    """Act as `principal` on the next requests, through the hub's authenticator seam.

    Feature tests use this; the SSO's own tests (tests/auth) prove the token checking itself.
    """

    def act_as(principal: Principal | None) -> None:
        app.state.authenticator = (lambda request: principal) if principal else anonymous_only

    return act_as


ADMIN = Principal(
    subject="admin-1", kind="asn", roles=frozenset({"hub_admin"}), scopes=frozenset({"hub:admin"})
)


def opd_developer(opd: str, *scopes: str) -> Principal:
    return Principal(
        subject=f"dev-{opd}",
        kind="asn",
        opd=opd,
        roles=frozenset({"opd_admin"}),
        scopes=frozenset(scopes or ("connectors:read", "connectors:write")),
    )


@pytest.fixture(autouse=True)
def enqueued_after_commit() -> Iterator[list[uuid.UUID]]:
    """What the relay would put on the broker after each commit, captured instead of sent
    (delivery tests that run real workers install their own sender)."""
    sent: list[uuid.UUID] = []
    relay.set_sender(sent.append)
    yield sent
    relay.set_sender(None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The chaos tests' counts (lost, duplicated, delivered) belong in every CI log."""
    from tests import chaos_log

    if chaos_log.LINES:
        terminalreporter.section("chaos test counts")
        for line in chaos_log.LINES:
            terminalreporter.write_line(line)
