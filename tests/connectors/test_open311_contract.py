"""The built-in open311 connector passes the contract kit against the simulated RSUD desk."""

from __future__ import annotations

import pytest

from connectors.builtin.open311 import Open311Connector
from connectors.testing import ConnectorContract, Harness
from hub.simulators import RSUDApp
from hub.simulators.configs import rsud_config
from schemas.models import Status


class TestOpen311(ConnectorContract):
    connector_class = Open311Connector

    @pytest.fixture
    def harness(self, rsud: RSUDApp) -> Harness:
        def emit(ref: str, status: Status) -> None:
            assert status is Status.IN_PROGRESS
            rsud.set_status(ref, "in_progress", "Sedang ditangani bagian pelayanan")

        return Harness(
            config=rsud_config(rsud, timeout=0.5),
            fail_transient=lambda: rsud.fail("error", status=502, times=1),
            fail_permanent=lambda: rsud.fail("error", status=400, times=1),
            fail_timeout=lambda: rsud.fail("timeout", times=1),
            emit_status=emit,
            received=lambda ref: rsud.requests_filed[ref],
            client_timeout=0.5,
        )
