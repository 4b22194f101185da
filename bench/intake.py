"""Intake throughput: POST /v1/complaints against a real `hub serve` process.

    .venv/bin/python bench/intake.py [--requests 2000] [--concurrency 32] [--database-url URL]

Prints requests/s and latency percentiles. Uses a fresh data dir (SQLite by default).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

BODY = {
    "channel": "superapp",
    "title": "Tumpukan sampah di pinggir jalan",
    "description": "Sampah menumpuk sudah seminggu di Jl. Teuku Umar, bau sekali.",
    "category": "sampah_lingkungan",
    "location": {"lat": -5.397, "lon": 105.266, "region": "kota-bandar-lampung"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def fire(base: str, total: int, concurrency: int) -> list[float]:
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            response = await client.post(
                f"{base}/v1/complaints", json=BODY, headers={"Idempotency-Key": f"bench-{run}-{i}"}
            )
            latencies.append(time.perf_counter() - start)
            if response.status_code != 201:
                raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")

    clients = [httpx.AsyncClient(timeout=30) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(worker(c) for c in clients))
    finally:
        for c in clients:
            await c.aclose()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    env = {**os.environ, "HUB_DATA_DIR": str(data)}
    if args.database_url:
        env["HUB_DATABASE_URL"] = args.database_url
    subprocess.run([sys.executable, "-m", "hub", "db", "upgrade"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        asyncio.run(fire(base, 50, 4))  # warm up
        started = time.perf_counter()
        latencies = asyncio.run(fire(base, args.requests, args.concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    db = "postgresql" if args.database_url else "sqlite"
    print(
        f"intake on {db}: {args.requests} complaints, concurrency {args.concurrency}, "
        f"{args.workers} API process(es)"
    )
    print(f"  throughput  {args.requests / elapsed:8.1f} complaints/s")
    print(f"  latency p50 {statistics.median(latencies) * 1000:8.1f} ms")
    print(f"  latency p95 {latencies[int(len(latencies) * 0.95)] * 1000:8.1f} ms")
    print(f"  latency max {latencies[-1] * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
