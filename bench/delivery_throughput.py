"""Measure end-to-end delivery throughput: outbox -> relay -> Redis -> prefork workers -> OPD.

Uses a private redis-server, the PostgreSQL database `hub_bench_delivery`, and the counting OPD
server of the delivery tests.  Prints messages per second.  Not part of the test run.

    .venv/bin/python bench/delivery_throughput.py --messages 2000 --targets 4 --concurrency 4
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "delivery"), str(ROOT)]

import psycopg  # noqa: E402
from delivery_fakes import (  # noqa: E402
    CountingServer,
    add_complaint,
    wait_for,
)
from delivery_procs import Celery, RedisServer, celery_env  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import hub.notifications.models  # noqa: E402, F401
from hub.db import Base, make_engine, make_sessionmaker  # noqa: E402
from hub.delivery import outbox, relay  # noqa: E402
from hub.delivery.celery_app import make_celery  # noqa: E402
from hub.delivery.models import MessageState, OutboxMessage  # noqa: E402
from hub.settings import Settings  # noqa: E402

DB = "hub_bench_delivery"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--targets", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")
    engine = make_engine(URL)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    tmp = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    server = CountingServer().start()
    redis = RedisServer(tmp)
    redis.start()
    names = [f"opd-{i}" for i in range(args.targets)]
    env = celery_env(
        database_url=URL,
        broker_url=redis.url,
        targets={n: {"url": server.url(n)} for n in names},
        connector_timeout=5.0,
        max_in_flight=args.concurrency,
        sweep_interval=2.0,
    )
    worker = Celery(
        [
            "worker",
            "--pool=prefork",
            "-c",
            str(args.concurrency),
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        tmp / "worker.log",
    ).start(ready=None)
    app = make_celery(Settings(broker_url=redis.url, database_url=URL))

    def send(message_id: object) -> None:
        app.send_task("hub.delivery.deliver", args=(str(message_id),), queue="hub.delivery")

    relay.set_sender(send)
    relay.install()
    try:
        with factory() as session, session.begin():
            for i in range(args.messages):
                c = add_complaint(session)
                session.flush()
                outbox.stage(
                    session,
                    kind="deliver_complaint",
                    payload={},
                    target=names[i % len(names)],
                    complaint_id=c.id,
                )
        t0 = time.monotonic()

        def delivered() -> int:
            with factory() as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.state == MessageState.DELIVERED)
                    )
                    or 0
                )

        wait_for(lambda: delivered() == args.messages, 600, "all delivered", interval=0.2)
        took = time.monotonic() - t0
        raw = sum(sum(server.of(n).raw.values()) for n in names)
        unique = sum(len(server.of(n).records) for n in names)
        print(
            f"{args.messages} messages, {args.targets} targets, -c {args.concurrency}: "
            f"{took:.1f}s, {args.messages / took:.0f} msg/s (raw hits {raw}, unique {unique})"
        )
    finally:
        relay.uninstall()
        worker.kill()
        redis.stop()
        server.stop()
        app.close()
        engine.dispose()


if __name__ == "__main__":
    main()
