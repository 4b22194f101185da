"""Fixtures for Open311 tests: an issued api key, and the app served over real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from hub.db import transaction
from hub.open311 import keys


@pytest.fixture
def api_key(app: FastAPI) -> str:
    with transaction(app.state.sessionmaker) as session:
        return keys.issue(session, "Aplikasi uji (test client)").key


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app on 127.0.0.1 under uvicorn in a thread, on a socket that listens before the
    server thread starts (connections wait in the backlog: no polling for readiness)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
