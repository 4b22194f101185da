"""A minimal SMTP server that keeps what it receives: the mailbox of an OPD without an app.

Speaks enough ESMTP for smtplib (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), on
127.0.0.1 in a background thread. Faults, per connection (`times` connections, or all):

    reject      RCPT TO answered with `code` (550 by default: mailbox unknown, permanent)
    tempfail    the end of DATA answered with `code` (451 by default: try again later)
    timeout     accept the connection and say nothing, up to `hang_limit` seconds
    disconnect  close the connection at once
"""

from __future__ import annotations

import base64
import email
import email.policy
import secrets
import socketserver
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal, Self

from hub.simulators.base import ServerLifecycle

__all__ = ["ReceivedMail", "SmtpFault", "SmtpSink"]

SmtpFault = Literal["reject", "tempfail", "timeout", "disconnect"]
_MAX_LINE = 10_000
_MAX_MESSAGE = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Fault:
    mode: SmtpFault
    code: int
    times: int | None


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out close sockets under us: not worth a traceback."""


def _address(arg: str) -> str:
    start, end = arg.find("<"), arg.rfind(">")
    return arg[start + 1 : end] if 0 <= start < end else arg.split(":", 1)[-1].strip()


class SmtpSink(ServerLifecycle):
    name = "smtp"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "dinas@opd.lampungprov.go.id",
        password: str | None = None,
        hang_limit: float = 5.0,
    ) -> None:
        self.host = host
        self._port = port
        self.username = username
        self.password = password or secrets.token_urlsafe(18)
        self.hang_limit = hang_limit
        self.messages: list[ReceivedMail] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._fault: _Fault | None = None
        self._release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SMTP sink is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        sink = self

        class _Handler(socketserver.StreamRequestHandler):
            timeout = 30
            disable_nagle_algorithm = True

            def handle(self) -> None:
                sink._session(self)

        self._release.clear()
        self._server = _Server((self.host, self._port), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sim-smtp",
            daemon=True,
        )
        self._thread.start()
        return self

    def fail(self, mode: SmtpFault, *, code: int | None = None, times: int | None = None) -> None:
        defaults = {"reject": 550, "tempfail": 451, "timeout": 0, "disconnect": 0}
        if mode not in defaults:
            raise ValueError(f"unknown SMTP fault {mode!r}; choose one of {', '.join(defaults)}")
        with self._lock:
            self._fault = _Fault(mode, code or defaults[mode], times)

    def heal(self) -> None:
        with self._lock:
            self._fault = None
            self._release.set()
            self._release = threading.Event()

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.connections = 0
        self.heal()

    def by_message_id(self, message_id: str) -> ReceivedMail:
        with self._lock:
            for mail in self.messages:
                if mail.message["Message-ID"] == message_id:
                    return mail
        raise KeyError(message_id)

    def _take_fault(self) -> tuple[_Fault | None, threading.Event]:
        with self._lock:
            self.connections += 1
            fault = self._fault
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._fault = None
            return fault, self._release

    # -- the SMTP conversation -----------------------------------------------------------------
    def _session(self, h: socketserver.StreamRequestHandler) -> None:
        fault, release = self._take_fault()
        if fault is not None and fault.mode == "disconnect":
            return
        if fault is not None and fault.mode == "timeout":
            release.wait(self.hang_limit)
            return

        def say(line: str) -> None:
            h.wfile.write(line.encode() + b"\r\n")
            h.wfile.flush()

        def read() -> str | None:
            raw = h.rfile.readline(_MAX_LINE)
            return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None

        say("220 sink.lampungprov.go.id ESMTP simulator")
        authed, mail_from = False, ""
        rcpts: list[str] = []
        while (line := read()) is not None:
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                # One write: separate small writes meet Nagle and delayed ACKs (40 ms each).
                say(
                    "250-sink.lampungprov.go.id\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n"
                    f"250 SIZE {_MAX_MESSAGE}"
                )
            elif verb == "HELO":
                say("250 sink.lampungprov.go.id")
            elif verb == "AUTH":
                mech, _, initial = arg.partition(" ")
                if mech.upper() != "PLAIN":
                    say("504 5.5.4 Unrecognized authentication type")
                    continue
                if not initial:
                    say("334 ")
                    initial = read() or ""
                try:
                    _, user, password = base64.b64decode(initial).decode().split("\0")
                except ValueError:
                    say("501 5.5.2 Cannot decode response")
                    continue
                if user == self.username and secrets.compare_digest(password, self.password):
                    authed = True
                    say("235 2.7.0 Authentication successful")
                else:
                    say("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authed:
                    say("530 5.7.0 Authentication required")
                    continue
                mail_from, rcpts = _address(arg), []
                say("250 2.1.0 OK")
            elif verb == "RCPT":
                if fault is not None and fault.mode == "reject":
                    say(f"{fault.code} mailbox unavailable")
                    continue
                rcpts.append(_address(arg))
                say("250 2.1.5 OK")
            elif verb == "DATA":
                if not rcpts:
                    say("503 5.5.1 No valid recipients")
                    continue
                say("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data(h)
                if data is None:
                    return
                if fault is not None and fault.mode == "tempfail":
                    say(f"{fault.code} 4.3.0 Mailbox temporarily unavailable, try later")
                    continue
                with self._lock:
                    self.messages.append(ReceivedMail(mail_from, tuple(rcpts), data))
                    number = len(self.messages)
                say(f"250 2.0.0 OK queued as SIM{number}")
            elif verb in ("RSET", "NOOP"):
                say("250 2.0.0 OK")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                return
            else:
                say("502 5.5.2 Command not recognized")

    @staticmethod
    def _read_data(h: socketserver.StreamRequestHandler) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        while True:
            raw = h.rfile.readline(_MAX_LINE)
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b".."):
                raw = raw[1:]
            size += len(raw)
            if size > _MAX_MESSAGE:
                return None
            lines.append(raw)
