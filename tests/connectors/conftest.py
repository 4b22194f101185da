"""Simulated OPD apps started once per session and wiped before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.simulators import BapendaApp, BinaMargaApp, DLHApp, RSUDApp, SmtpSink


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def _dlh_server() -> Iterator[DLHApp]:
    with DLHApp(hang_limit=3.0) as app:
        yield app


@pytest.fixture
def dlh(_dlh_server: DLHApp) -> Iterator[DLHApp]:
    _dlh_server.reset()
    _dlh_server.webhook_url = None
    yield _dlh_server
    _dlh_server.reset()


@pytest.fixture(scope="session")
def _bapenda_server() -> Iterator[BapendaApp]:
    with BapendaApp(hang_limit=3.0) as app:
        yield app


@pytest.fixture
def bapenda(_bapenda_server: BapendaApp) -> Iterator[BapendaApp]:
    _bapenda_server.reset()
    yield _bapenda_server
    _bapenda_server.reset()


@pytest.fixture(scope="session")
def _bina_marga_server() -> Iterator[BinaMargaApp]:
    with BinaMargaApp(hang_limit=3.0) as app:
        yield app


@pytest.fixture
def bina_marga(_bina_marga_server: BinaMargaApp) -> Iterator[BinaMargaApp]:
    _bina_marga_server.reset()
    yield _bina_marga_server
    _bina_marga_server.reset()


@pytest.fixture(scope="session")
def _rsud_server() -> Iterator[RSUDApp]:
    with RSUDApp(hang_limit=3.0) as app:
        yield app


@pytest.fixture
def rsud(_rsud_server: RSUDApp) -> Iterator[RSUDApp]:
    _rsud_server.reset()
    yield _rsud_server
    _rsud_server.reset()


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SmtpSink]:
    with SmtpSink(hang_limit=3.0) as sink:
        yield sink


@pytest.fixture
def smtp(_smtp_server: SmtpSink) -> Iterator[SmtpSink]:
    _smtp_server.reset()
    yield _smtp_server
    _smtp_server.reset()
