"""A tiny real HTTP server for simulated OPD apps, with switchable faults.

Each simulator is a stdlib `ThreadingHTTPServer` on 127.0.0.1 (port 0 = a free port) running in a
background thread: fast to start, no event loop shared with the code under test, and real sockets
so connectors are exercised end to end.

Faults are set from Python (`app.fail("error", status=503, times=2)`) or over HTTP
(`POST /_control/fault` with the same fields as JSON; `DELETE /_control/fault` heals):

    error       answer `status` (5xx by default) with a short body
    timeout     hang without answering, up to `hang_limit` seconds (longer than client timeouts)
    slow        wait `delay` seconds, then answer normally
    garbage     answer 200 with a body that is not what the app normally speaks
    rate_limit  answer 429 with `Retry-After: <retry_after>`

`after_commit=True` applies the fault *after* the request was processed (the record exists but
the answer is lost), which is how exactly-once delivery is proven. `times=N` limits the fault to
the next N requests.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Fault",
    "FaultMode",
    "Request",
    "Response",
    "Route",
    "SimulatedApp",
    "json_response",
]

FaultMode = Literal["error", "timeout", "slow", "garbage", "rate_limit"]
_MODES = ("error", "timeout", "slow", "garbage", "rate_limit")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # a regex with named groups, matched against the whole path
    handler: Handler


@dataclass
class Fault:
    mode: FaultMode
    status: int = 503
    delay: float = 0.5
    retry_after: str = "1"
    times: int | None = None
    after_commit: bool = False
    body: bytes = b"<html><body>Internal error</body>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that gave up (timeouts) close sockets under us: not worth a traceback."""


class ServerLifecycle:
    """Stopping and `with` use, shared by every simulator; each one's `start` differs."""

    _release: threading.Event  # set on stop, so handlers told to hang return at once
    _server: socketserver.BaseServer | None
    _thread: threading.Thread | None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        self._release.set()  # wake hanging handlers
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SimulatedApp(ServerLifecycle):
    """Base of the simulated OPD apps: routing, request log, faults, start/stop."""

    name = "app"
    max_log = 10_000

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, hang_limit: float = 5.0):
        self.host = host
        self.port = port
        self.hang_limit = hang_limit
        self.requests: list[Request] = []  # every app request (not control calls), in order
        self._lock = threading.RLock()
        self._fault: Fault | None = None
        self._release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._compiled = [(r.method, re.compile(r.pattern), r.handler) for r in self.routes()]

    # -- to override ------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return []

    def garbage(self) -> Response:
        return Response(200, b"\x00not what you expected{", {"Content-Type": "application/json"})

    def reset(self) -> None:
        """Forget every record, request and fault (between tests)."""
        with self._lock:
            self.requests.clear()
            self.heal()

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} simulator is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> Self:
        if self._server is not None:
            return self
        app = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real app server
            # Headers and body go out as separate writes: without TCP_NODELAY, Nagle holds the
            # body until the client's delayed ACK (40 ms), capping a keep-alive connection at
            # ~25 answers per second.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                app._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._release.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sim-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    # -- faults -------------------------------------------------------------------------------
    def fail(
        self,
        mode: FaultMode,
        *,
        status: int | None = None,
        delay: float = 0.5,
        retry_after: str = "1",
        times: int | None = None,
        after_commit: bool = False,
    ) -> None:
        """Make the next requests (all, or `times` of them) fail in the given way."""
        if mode not in _MODES:
            raise ValueError(f"unknown fault mode {mode!r}; choose one of {', '.join(_MODES)}")
        default_status = 429 if mode == "rate_limit" else 503
        with self._lock:
            self._release.clear()
            self._fault = Fault(
                mode,
                status=status or default_status,
                delay=delay,
                retry_after=retry_after,
                times=times,
                after_commit=after_commit,
            )

    def heal(self) -> None:
        with self._lock:
            self._fault = None
            self._release.set()
            self._release = threading.Event()

    def _take_fault(self) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._fault = None
            return fault

    def _faulty(self, fault: Fault, release: threading.Event) -> Response | None:
        """The faulty answer, or None to answer normally (after a slow wait)."""
        if fault.mode == "error":
            return Response(fault.status, fault.body, {"Content-Type": "text/html"})
        if fault.mode == "rate_limit":
            return Response(
                429, b'{"error": "too many requests"}', {"Retry-After": fault.retry_after}
            )
        if fault.mode == "timeout":
            release.wait(self.hang_limit)
            return Response(504, b"gave up", {"Content-Type": "text/plain"})
        if fault.mode == "slow":
            release.wait(min(fault.delay, self.hang_limit))
            return None
        return self.garbage()

    # -- control API --------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        """`/_control/...`: faults and simulator-specific actions, for demos and other processes."""
        if request.path == "/_control/fault":
            if request.method == "DELETE":
                self.heal()
                return json_response({"fault": None})
            if request.method == "POST":
                spec = request.json() or {}
                try:
                    self.fail(
                        spec["mode"],
                        status=spec.get("status"),
                        delay=float(spec.get("delay", 0.5)),
                        retry_after=str(spec.get("retry_after", "1")),
                        times=spec.get("times"),
                        after_commit=bool(spec.get("after_commit", False)),
                    )
                except (KeyError, ValueError, TypeError) as exc:
                    return json_response({"error": str(exc)}, 400)
                return json_response({"fault": spec["mode"]})
        if request.path == "/_control/state" and request.method == "GET":
            return json_response(self.state())
        if request.path == "/_control/reset" and request.method == "POST":
            self.reset()
            return json_response({"reset": True})
        return json_response({"error": "unknown control call"}, 404)

    def state(self) -> dict[str, Any]:
        with self._lock:
            fault = self._fault.mode if self._fault else None
            return {"name": self.name, "requests": len(self.requests), "fault": fault}

    # -- request handling -----------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in h.headers.items()}
        request = Request(h.command, split.path, query, headers, body)
        if split.path.startswith("/_control/"):
            self._write(h, self.control(request))
            return
        with self._lock:
            self.requests.append(request)
            if len(self.requests) > self.max_log:  # a long demo or benchmark: keep the tail
                del self.requests[: self.max_log // 2]
            release = self._release
        fault = self._take_fault()
        response: Response | None = None
        if fault is not None and not fault.after_commit:
            response = self._faulty(fault, release)
        if response is None:
            response = self._dispatch(request)
            if fault is not None and fault.after_commit:
                response = self._faulty(fault, release) or response
        self._write(h, response)

    def _dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._compiled:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            allowed = True
            if method == request.method:
                request.params = {k: v for k, v in match.groupdict().items() if v is not None}
                try:
                    return handler(request)
                except Exception as exc:  # a bug in a simulator must show, not hang the client
                    return json_response({"error": f"{type(exc).__name__}: {exc}"}, 500)
        if allowed:
            return json_response({"error": "method not allowed"}, 405)
        return json_response({"error": "not found", "path": request.path}, 404)

    def _write(self, h: BaseHTTPRequestHandler, response: Response) -> None:
        try:
            h.send_response(response.status)
            for name, value in response.headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(response.body)))
            h.end_headers()
            h.wfile.write(response.body)
            h.wfile.flush()
        except OSError:
            h.close_connection = True
