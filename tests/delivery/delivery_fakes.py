"""Test helpers: a counting OPD server on 127.0.0.1, a fake connector, a fake resolver.

Importable by worker subprocesses too (they get this directory on PYTHONPATH and the targets in
DELIVERY_FAKES_TARGETS), so the real Celery worker resolves the same fake connectors.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from connectors import Connector, DeliveryResult, UpdateBatch, WebhookRequest
from connectors.errors import ConfigError, PermanentError, RateLimited, TransientError
from hub.complaints.models import Complaint as ComplaintRow
from hub.db import utcnow
from hub.delivery import outbox
from hub.delivery.config import DeliverySettings
from hub.delivery.models import MessageKind, OutboxMessage
from schemas.models import Complaint, StatusUpdate

FIELDS = frozenset({"id", "tracking_code", "title", "description", "category", "location"})


@dataclass
class Behaviour:
    """How one target's app behaves: failures first, then normal service."""

    fail_500: int = 0  # answer the next N requests with 500
    hang_for: float = 0.0  # then hold each request this long (while hang_count > 0)
    hang_count: int = 0
    blackhole: bool = False  # never answer
    status: int | None = None  # always answer this (e.g. 400, 410, 429)
    retry_after: str | None = None


@dataclass
class Counts:
    raw: Counter[str] = field(default_factory=Counter)  # idempotency key -> hits
    records: dict[str, str] = field(default_factory=dict)  # key -> ref (created once)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    hooks: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


class CountingServer:
    """An OPD app stand-in that de-duplicates by Idempotency-Key and counts everything."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, Counts] = {}
        self.behaviour: dict[str, Behaviour] = {}
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                parts = self.path.strip("/").split("/")
                target = parts[0]
                if len(parts) > 1 and parts[1] == "hooks":
                    server._hook(self, target, body)
                else:
                    server._complaint(self, target, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, target: str) -> str:
        return f"http://127.0.0.1:{self.port}/{target}"

    def start(self) -> CountingServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def of(self, target: str) -> Counts:
        with self.lock:
            return self.counts.setdefault(target, Counts())

    def set(self, target: str, behaviour: Behaviour) -> None:
        with self.lock:
            self.behaviour[target] = behaviour

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, code: int, doc: Any, extra: Mapping[str, str] = {}
    ) -> None:
        data = json.dumps(doc).encode()
        handler.send_response(code)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for k, v in extra.items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)

    def _hook(self, handler: BaseHTTPRequestHandler, target: str, body: bytes) -> None:
        counts = self.of(target)
        with self.lock:
            b = self.behaviour.get(target, Behaviour())
            counts.hooks.append(({k.lower(): v for k, v in handler.headers.items()}, body))
        if b.status is not None:
            extra = {"retry-after": b.retry_after} if b.retry_after else {}
            self._reply(handler, b.status, {"error": "configured"}, extra)
        else:
            self._reply(handler, 200, {"ok": True})

    def _complaint(self, handler: BaseHTTPRequestHandler, target: str, body: bytes) -> None:
        key = handler.headers.get("idempotency-key", "")
        counts = self.of(target)
        with self.lock:
            b = self.behaviour.setdefault(target, Behaviour())
            counts.raw[key] += 1
            counts.in_flight += 1
            counts.max_in_flight = max(counts.max_in_flight, counts.in_flight)
            mode = "ok"
            if b.blackhole:
                mode = "blackhole"
            elif b.status is not None:
                mode = "status"
            elif b.fail_500 > 0:
                b.fail_500 -= 1
                mode = "500"
            elif b.hang_count > 0:
                b.hang_count -= 1
                mode = "hang"
        try:
            if mode == "blackhole":
                self.stopping.wait(120)
                return
            if mode == "500":
                self._reply(handler, 500, {"error": "boom"})
                return
            if mode == "status":
                extra = {"retry-after": b.retry_after} if b.retry_after else {}
                self._reply(handler, b.status or 500, {"error": "configured"}, extra)
                return
            if mode == "hang":
                self.stopping.wait(b.hang_for)  # slow, but the work is done (like a real app)
            with self.lock:
                ref = counts.records.get(key)
                if ref is None:
                    ref = f"{target.upper()}-{len(counts.records) + 1:05d}"
                    counts.records[key] = ref
                    counts.bodies[key] = json.loads(body)
            self._reply(handler, 201, {"ref": ref})
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self.lock:
                counts.in_flight -= 1


class CountingConnector(Connector):
    """Delivers to the counting server; classifies errors like a real connector must."""

    name = "counting"
    fields_needed = FIELDS

    async def deliver(self, complaint: Complaint, *, idempotency_key: str) -> DeliveryResult:
        body = complaint.model_dump(mode="json", exclude_unset=True)
        try:
            r = await self.client.post(
                self.config["url"], json=body, headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"timeout {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"transport {exc!r}") from exc
        if r.status_code == 429:
            raise RateLimited(
                "429", status_code=429, retry_after=float(r.headers.get("retry-after", 1))
            )
        if r.status_code >= 500:
            raise TransientError(f"{r.status_code}", status_code=r.status_code, response=r.text)
        if r.status_code >= 400:
            raise PermanentError(f"{r.status_code}", status_code=r.status_code, response=r.text)
        return DeliveryResult(r.json()["ref"], r.status_code, r.text)

    async def parse_webhook(self, request: WebhookRequest) -> list[StatusUpdate]:
        doc = json.loads(request.body)
        return [StatusUpdate.model_validate(item) for item in doc["updates"]]

    async def fetch_updates(self, cursor: str | None) -> UpdateBatch:
        feed: list[dict[str, Any]] = self.config.get("feed", [])
        start = int(cursor or 0)
        page = feed[start : start + 2]
        return UpdateBatch([StatusUpdate.model_validate(x) for x in page], str(start + len(page)))


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeResolver:
    """Connector instances by target name: {target: config}; cached per process."""

    def __init__(self, configs: Mapping[str, Mapping[str, Any]], timeout: float = 1.0) -> None:
        self.configs = {k: dict(v) for k, v in configs.items()}
        self.timeout = timeout
        self.cache: dict[str, Connector] = {}

    def resolve(self, target: str) -> Connector:
        if target not in self.configs:
            raise ConfigError(f"unknown connector instance {target!r}")
        if target not in self.cache:
            client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout))
            self.cache[target] = CountingConnector(self.configs[target], client)
        return self.cache[target]

    def poll_targets(self) -> Iterable[str]:
        return [t for t, c in self.configs.items() if "feed" in c]

    def authenticate(self, target: str, request: WebhookRequest) -> bool:
        secret = self.configs.get(target, {}).get("webhook_secret")
        if not isinstance(secret, str) or not secret:
            return False
        given = request.headers.get("x-hub-signature", "")
        return hmac.compare_digest(given, signature(secret, request.body))


def make_resolver() -> FakeResolver:
    """Factory for worker processes: HUB_DELIVERY_RESOLVER=delivery_fakes:make_resolver."""
    configs = json.loads(os.environ["DELIVERY_FAKES_TARGETS"])
    return FakeResolver(configs, timeout=float(os.environ.get("DELIVERY_FAKES_TIMEOUT", "1.0")))


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll a condition until a deadline (never a fixed sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


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


def add_complaint(session: Session, **overrides: Any) -> ComplaintRow:
    """A triaged complaint row, as the intake would have left it."""
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
    complaint = ComplaintRow(**values)
    session.add(complaint)
    return complaint


def stage_delivery(factory: sessionmaker[Session], target: str = "opd-a") -> uuid.UUID:
    """One intake transaction: a complaint and its delivery message (relayed after commit)."""
    with factory() as session, session.begin():
        complaint = add_complaint(session)
        session.flush()
        message = outbox.stage(
            session,
            kind=MessageKind.DELIVER_COMPLAINT,
            payload={},
            target=target,
            complaint_id=complaint.id,
        )
    return message.id


def load_message(factory: sessionmaker[Session], message_id: uuid.UUID) -> OutboxMessage:
    with factory() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message
