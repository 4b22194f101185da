"""Real Celery workers (prefork), real Redis, real PostgreSQL: the promise under failure.

No accepted complaint is lost or delivered twice, whatever fails: a worker SIGKILLed in the
middle of deliveries, Redis restarted while complaints are staged, an OPD app answering 500s and
timing out.  The counting server de-duplicates by Idempotency-Key (the outbox message id) and
counts raw hits against unique records; every test prints the counts.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from delivery_fakes import Behaviour, CountingServer, wait_for
from delivery_fakes import stage_delivery as stage
from delivery_procs import Celery, RedisServer, celery_env
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import hub.notifications.models  # noqa: F401
from hub.complaints.models import Complaint, ComplaintEvent
from hub.complaints.updates import ApplyOutcome, apply_status_update
from hub.db import Base, make_engine, make_sessionmaker, utcnow
from hub.delivery import relay
from hub.delivery.celery_app import make_celery
from hub.delivery.models import MessageState, OutboxMessage, TargetState
from hub.settings import Settings
from schemas.models import Status, StatusUpdate
from tests import chaos_log

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = f"hub_test_delivery_{os.getpid()}"  # parallel runs (worktrees, CI) must not share it
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
CI = os.environ.get("CI") == "true"


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_factory() -> Iterator[sessionmaker[Session]]:
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    engine = make_engine(PG_URL, pool_size=12)
    Base.metadata.create_all(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def db(pg_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with pg_factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    return pg_factory


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


CHAOS = dict(
    retry_schedule=[0, 0.3, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    call_timeout=2.5,
    lease_margin=1.0,
    max_in_flight=2,
    sweep_interval=0.5,
    sweep_grace=1.5,
    poll_interval=3600,
    breaker_threshold=50,
    breaker_cooldown=1.0,
    breaker_max_cooldown=2.0,
)


@pytest.fixture
def celery(
    tmp_path: Path, server: CountingServer, redis: RedisServer
) -> Iterator[Callable[..., tuple[Celery, Celery]]]:
    """Start a worker and a beat against PostgreSQL and the private Redis."""
    started: list[Celery] = []

    def start(
        *, concurrency: int = 2, connector_timeout: float = 2.0, **delivery: Any
    ) -> tuple[Celery, Celery]:
        settings = {**CHAOS, **delivery}
        targets = {"opd-a": {"url": server.url("opd-a")}, "opd-b": {"url": server.url("opd-b")}}
        env = celery_env(
            database_url=PG_URL,
            broker_url=redis.url,
            targets=targets,
            connector_timeout=connector_timeout,
            **settings,
        )
        n = len(started)
        worker = Celery(
            [
                "worker",
                "--pool=prefork",
                "-c",
                str(concurrency),
                "-l",
                "info",
                "-n",
                f"w{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
            tmp_path / f"worker{n}.log",
        ).start()
        beat = Celery(
            ["beat", "-l", "info", "-s", str(tmp_path / f"beat{n}.db"), "--pidfile="],
            env,
            tmp_path / f"beat{n}.log",
        ).start(ready="beat: Starting")
        started.extend([worker, beat])
        return worker, beat

    yield start
    for proc in started:
        proc.kill()  # no warm shutdown to wait for: the tests are over


@pytest.fixture
def publish(redis: RedisServer) -> Iterator[dict[str, int]]:
    """The test process relays staged ids to the private Redis, like the API process would."""
    app = make_celery(Settings(broker_url=redis.url, database_url=PG_URL))
    stats = {"sent": 0, "failed": 0}

    def send(message_id: uuid.UUID) -> None:
        try:
            app.send_task(
                "hub.delivery.deliver",
                args=(str(message_id),),
                queue="hub.delivery",
                retry=True,
                retry_policy={"max_retries": 0},
            )
        except Exception:
            stats["failed"] += 1
            raise
        stats["sent"] += 1

    relay.set_sender(send)
    relay.install()
    yield stats
    relay.uninstall()
    relay.set_sender(None)
    app.close()


def states(db: sessionmaker[Session], ids: list[uuid.UUID]) -> dict[str, int]:
    with db() as session:
        rows = session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.id.in_(ids))
            .group_by(OutboxMessage.state)
        )
        return {state: n for state, n in rows}


def all_delivered(db: sessionmaker[Session], ids: list[uuid.UUID]) -> Callable[[], bool]:
    return lambda: states(db, ids).get(MessageState.DELIVERED, 0) == len(ids)


def assert_exactly_once(
    db: sessionmaker[Session], server: CountingServer, target: str, ids: list[uuid.UUID], label: str
) -> None:
    counts = server.of(target)
    raw = sum(counts.raw[str(i)] for i in ids)
    chaos_log.report(
        f"\n[{label}] {target}: {len(ids)} messages, {raw} raw hits, "
        f"{len(counts.records)} unique records, max concurrent at the app {counts.max_in_flight}"
    )
    assert set(counts.records) == {str(i) for i in ids}, "lost or unexpected deliveries"
    with db() as session:
        for mid in ids:
            m = session.get(OutboxMessage, mid)
            assert m is not None and m.state == MessageState.DELIVERED
            assert m.external_ref == counts.records[str(mid)]
            c = session.get(Complaint, m.complaint_id)
            assert c is not None and c.status == Status.DISPATCHED
            assert c.external_refs == {target: counts.records[str(mid)]}
            dispatched = session.scalar(
                select(func.count())
                .select_from(ComplaintEvent)
                .where(ComplaintEvent.complaint_id == c.id, ComplaintEvent.status == "dispatched")
            )
            assert dispatched == 1, "the complaint was dispatched twice on its timeline"


def test_sigkill_of_a_worker_mid_delivery_loses_and_duplicates_nothing(
    db: sessionmaker[Session],
    server: CountingServer,
    celery: Callable[..., tuple[Celery, Celery]],
    publish: dict[str, int],
) -> None:
    server.set("opd-a", Behaviour(hang_count=4, hang_for=1.0))  # slow at first: calls in flight
    worker, _ = celery()
    ids = [stage(db, "opd-a") for _ in range(20)]
    wait_for(lambda: server.of("opd-a").in_flight >= 1, 15, "a delivery in flight")
    worker.kill()
    delivered_before_restart = states(db, ids).get(MessageState.DELIVERED, 0)
    celery()
    wait_for(all_delivered(db, ids), 40, "every message delivered after the restart")
    chaos_log.report(f"\n[sigkill] delivered before the kill: {delivered_before_restart}")
    assert_exactly_once(db, server, "opd-a", ids, "sigkill")

    # Status updates coming back, each sent twice and concurrently, are applied once.
    with db() as session:
        refs = {m.external_ref: m.complaint_id for m in session.scalars(select(OutboxMessage))}

    def apply(ref: str) -> ApplyOutcome:
        update = StatusUpdate(
            external_ref=ref,
            status=Status.ACKNOWLEDGED,
            occurred_at=utcnow(),
            source_event_id=f"evt-{ref}",
        )
        with db() as session, session.begin():
            return apply_status_update(session, update, source="opd-a").outcome

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(apply, [r for r in refs for _ in range(2)]))
    chaos_log.report(f"[sigkill] status updates: {len(refs)} sent twice -> {sorted(set(outcomes))}")
    assert outcomes.count(ApplyOutcome.APPLIED) == len(refs)
    assert outcomes.count(ApplyOutcome.DUPLICATE) == len(refs)
    with db() as session:
        acknowledged = session.scalar(
            select(func.count())
            .select_from(ComplaintEvent)
            .where(ComplaintEvent.status == "acknowledged")
        )
        assert acknowledged == len(refs)


def test_a_redis_restart_while_complaints_come_in_loses_nothing(
    db: sessionmaker[Session],
    server: CountingServer,
    redis: RedisServer,
    celery: Callable[..., tuple[Celery, Celery]],
    publish: dict[str, int],
) -> None:
    celery()
    ids = [stage(db, "opd-b") for _ in range(10)]
    redis.stop()  # enqueue after commit now fails: logged, left to the sweep
    ids += [stage(db, "opd-b") for _ in range(10)]
    redis.start()  # empty: whatever was queued is gone too
    ids += [stage(db, "opd-b") for _ in range(10)]
    wait_for(all_delivered(db, ids), 60, "every message delivered after the Redis restart")
    chaos_log.report(f"\n[redis restart] enqueue after commit: {publish}")
    assert publish["failed"] >= 10  # the outage really hit the relay; the sweep made up for it
    assert_exactly_once(db, server, "opd-b", ids, "redis restart")


def test_an_app_answering_500s_and_timing_out_for_a_while_gets_everything_once(
    db: sessionmaker[Session],
    server: CountingServer,
    celery: Callable[..., tuple[Celery, Celery]],
    publish: dict[str, int],
) -> None:
    # 8 errors, then 4 calls that hang past the hub's timeout (the app still does the work).
    server.set("opd-a", Behaviour(fail_500=8, hang_count=4, hang_for=3.0))
    celery(connector_timeout=1.0, call_timeout=1.5)
    ids = [stage(db, "opd-a") for _ in range(12)]
    wait_for(all_delivered(db, ids), 60, "every message delivered once the app recovered")
    assert_exactly_once(db, server, "opd-a", ids, "500s and timeouts")
    assert sum(server.of("opd-a").raw.values()) > len(ids)  # the failures really happened


def test_a_blackholed_app_does_not_delay_the_others(
    db: sessionmaker[Session],
    server: CountingServer,
    celery: Callable[..., tuple[Celery, Celery]],
    publish: dict[str, int],
) -> None:
    server.set("opd-a", Behaviour(blackhole=True))
    celery(
        connector_timeout=5.0,
        call_timeout=2.0,
        max_in_flight=1,
        breaker_threshold=2,
        breaker_cooldown=30.0,
        breaker_max_cooldown=60.0,
    )
    dead_app = [stage(db, "opd-a") for _ in range(8)]
    start = utcnow()
    healthy = [stage(db, "opd-b") for _ in range(8)]
    wait_for(all_delivered(db, healthy), 10, "the healthy app's complaints")
    took = (utcnow() - start).total_seconds()
    chaos_log.report(f"\n[blackhole] 8 complaints to the healthy app delivered in {took:.2f}s")
    assert_exactly_once(db, server, "opd-b", healthy, "blackhole")
    assert server.of("opd-a").max_in_flight <= 1  # the bulkhead held
    wait_for(lambda: _breaker(db, "opd-a") == "open", 15, "the breaker to open on the dead app")
    assert states(db, dead_app).get(MessageState.DELIVERED, 0) == 0
    assert took < 8


def _breaker(db: sessionmaker[Session], target: str) -> str | None:
    with db() as session:
        row = session.get(TargetState, target)
        return row.breaker_state if row else None


# kombu's SQLAlchemy transport declares `lazy="noload"`, deprecated in SQLAlchemy 2.1.
@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy is deprecated")
def test_the_embedded_sqlite_broker_delivers(tmp_path: Path, server: CountingServer) -> None:
    """`hub up` on embedded defaults: SQLite database, kombu's SQLAlchemy transport on SQLite."""
    db_url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    env = celery_env(
        database_url=db_url,
        broker_url=broker,
        targets={"opd-a": {"url": server.url("opd-a")}},
        connector_timeout=2.0,
        **{**CHAOS, "sweep_interval": 1.0},
    )
    worker = Celery(
        [
            "worker",
            "--pool=prefork",
            "-c",
            "2",
            "-l",
            "info",
            "-B",
            "-s",
            str(tmp_path / "beat.db"),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        tmp_path / "worker.log",
    )
    app = make_celery(Settings(broker_url=broker, database_url=db_url))

    def send(message_id: uuid.UUID) -> None:
        app.send_task("hub.delivery.deliver", args=(str(message_id),), queue="hub.delivery")

    relay.set_sender(send)
    relay.install()
    try:
        worker.start()
        ids = [stage(factory, "opd-a") for _ in range(5)]
        wait_for(all_delivered(factory, ids), 30, "delivery through the embedded broker")
        assert_exactly_once(factory, server, "opd-a", ids, "embedded sqlite broker")
        # And the sweep alone (no relay) finds a message whose enqueue was lost.
        relay.set_sender(lambda i: None)
        lost = stage(factory, "opd-a")
        with factory() as session, session.begin():
            m = session.get(OutboxMessage, lost)
            assert m is not None
            m.enqueued_at = utcnow() - timedelta(minutes=5)
        wait_for(
            all_delivered(factory, [lost]), 30, "the sweep to deliver a never-enqueued message"
        )
    finally:
        relay.uninstall()
        relay.set_sender(None)
        worker.kill()
        app.close()
        engine.dispose()
