"""End-to-end delivery benchmark through real `hub worker` processes (Celery prefork).

outbox (one commit) -> relay -> broker -> `hub worker` pool -> rest_json connector instance
-> the simulated DLH app (hub.simulators.DLHApp), which de-duplicates by Idempotency-Key; every
message must have created exactly one record there (`records_for_key`).

Two profiles:
    embedded   SQLite database + the embedded SQLite broker (kombu SQLAlchemy transport)
    redis-pg   PostgreSQL (database hub_bench_ops_delivery) + a private redis-server

Prints throughput (messages/s, from the commit to the last delivery) and latency per message
(commit to `delivered_at`: p50, p95, max).  Not part of the test run.

    .venv/bin/python bench/delivery.py --profile redis-pg --messages 1000 --concurrency 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "delivery"), str(ROOT)]

import psycopg  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from delivery_procs import RedisServer  # type: ignore[import-not-found]  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from hub.complaints.models import Complaint  # noqa: E402
from hub.crypto import Vault  # noqa: E402
from hub.db import make_engine, make_sessionmaker, transaction, utcnow  # noqa: E402
from hub.delivery import outbox, relay  # noqa: E402
from hub.delivery.celery_app import make_celery  # noqa: E402
from hub.delivery.config import DeliverySettings  # noqa: E402
from hub.delivery.models import MessageKind, MessageState, OutboxMessage  # noqa: E402
from hub.integrations import service  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.simulators import DLHApp  # noqa: E402
from hub.simulators.configs import dlh_config  # noqa: E402

PG_DB = "hub_bench_ops_delivery"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = Fernet.generate_key().decode()  # a fresh vault key per run
TARGET = "dlh-rest"


@dataclass
class Result:
    profile: str
    messages: int
    concurrency: int
    seconds: float
    latencies: list[float]
    duplicates: int
    missing: int

    def report(self) -> str:
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        return (
            f"{self.profile:<9} {self.messages} msgs, -c {self.concurrency}: "
            f"{self.seconds:6.1f} s  {self.messages / self.seconds:7.1f} msg/s  "
            f"latency p50 {statistics.median(lat):6.2f} s  p95 {p95:6.2f} s  "
            f"max {lat[-1]:6.2f} s  exactly-once: {self.duplicates} dup, {self.missing} missing"
        )


@contextmanager
def profile_urls(profile: str, tmp: Path) -> Iterator[tuple[str, str | None]]:
    """(database URL, broker URL or None for the embedded broker)."""
    if profile == "embedded":
        yield f"sqlite:///{tmp / 'hub.sqlite3'}", None
        return
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    redis = RedisServer(tmp)
    redis.start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}", redis.url
    finally:
        redis.stop()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def register(factory: sessionmaker[Session], settings: Settings, dlh: DLHApp) -> None:
    import asyncio

    vault = Vault.from_settings(settings)
    spec = service.InstanceSpec(
        id=TARGET,
        connector="rest_json",
        institution="dlh-prov",
        config=dlh_config(dlh),
        categories=["sampah_lingkungan"],
    )
    with transaction(factory) as session:
        instance = service.register(session, vault, spec, actor="bench")
    connector = service.build(instance, vault)

    async def check() -> object:
        try:
            return await service.run_check(connector, seconds=10)
        finally:
            await connector.aclose()

    result = asyncio.run(check())
    with transaction(factory) as session:
        service.record_check(service.get(session, TARGET), result, enable=True)  # type: ignore[arg-type]
        if not service.get(session, TARGET).enabled:
            raise SystemExit(f"the DLH simulator failed the check: {result}")


def start_worker(env: dict[str, str], log: Path, concurrency: int) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "worker", "--pool=prefork", f"--concurrency={concurrency}"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"hub worker did not start; see {log}")
        time.sleep(0.1)
    return proc


def stage(factory: sessionmaker[Session], n: int) -> tuple[list[uuid.UUID], datetime]:
    ids = []
    with factory() as session, session.begin():
        now = utcnow()
        for i in range(n):
            complaint = Complaint(
                id=uuid.uuid4(),
                tracking_code=f"LPG-2026-{i + 1:06d}",
                channel="superapp",
                privacy="public",
                title="Sampah menumpuk",
                description="Sampah menumpuk di pinggir sungai sejak seminggu, berbau.",
                category="sampah_lingkungan",
                location={"lat": -5.4, "lon": 105.26, "region": "kota-bandar-lampung"},
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
                target=TARGET,
                complaint_id=complaint.id,
            )
            ids.append(message.id)
        session.flush()
    return ids, utcnow()  # committed (and relayed) now


def run(profile: str, messages: int, concurrency: int, timeout: float) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-delivery-{profile}-"))
    with profile_urls(profile, tmp) as (db_url, broker_url), DLHApp() as dlh:
        settings = Settings(
            data_dir=tmp, database_url=db_url, broker_url=broker_url, secret_key=SECRET
        )
        upgrade(settings.effective_database_url)
        engine = make_engine(settings.effective_database_url)
        factory = make_sessionmaker(engine)
        register(factory, settings, dlh)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            HUB_DATA_DIR=str(tmp),
            HUB_DATABASE_URL=settings.effective_database_url,
            HUB_BROKER_URL=settings.effective_broker_url,
            HUB_SECRET_KEY=SECRET,
            HUB_DELIVERY_MAX_IN_FLIGHT=str(concurrency),
            PYTHONUNBUFFERED="1",
        )
        worker = start_worker(env, tmp / "worker.log", concurrency)
        celery = make_celery(settings, DeliverySettings(resolver=None))

        def send(message_id: uuid.UUID) -> None:
            celery.send_task("hub.delivery.deliver", args=(str(message_id),), queue="hub.delivery")

        relay.set_sender(send)
        relay.install()
        try:
            ids, committed = stage(factory, messages)
            t0 = time.monotonic()
            while True:
                with factory() as session:
                    done = session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.state == MessageState.DELIVERED)
                    )
                if done == messages or time.monotonic() - t0 > timeout:
                    break
                time.sleep(0.1)  # a benchmark's progress poll, not test synchronisation
            with factory() as session:
                rows = session.execute(
                    select(OutboxMessage.delivered_at).where(
                        OutboxMessage.state == MessageState.DELIVERED
                    )
                ).all()
            stamps: list[datetime] = [r[0] for r in rows if r[0] is not None]
            last = max(stamps) if stamps else committed + timedelta(seconds=timeout)
            counts = [dlh.records_for_key(str(i)) for i in ids]
            return Result(
                profile,
                messages,
                concurrency,
                (last - committed).total_seconds(),
                [(s - committed).total_seconds() for s in stamps] or [float("inf")],
                duplicates=sum(1 for c in counts if c > 1),
                missing=sum(1 for c in counts if c == 0),
            )
        finally:
            relay.uninstall()
            relay.set_sender(None)
            os.killpg(worker.pid, 15)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
                worker.wait(10)
            celery.close()
            engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--profile", choices=["embedded", "redis-pg", "both"], default="both")
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    profiles = ["embedded", "redis-pg"] if args.profile == "both" else [args.profile]
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()} (shared machine)")
    for profile in profiles:
        print(run(profile, args.messages, args.concurrency, args.timeout).report(), flush=True)


if __name__ == "__main__":
    main()
