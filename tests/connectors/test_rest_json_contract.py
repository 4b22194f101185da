"""The built-in rest_json connector passes the contract kit against the simulated DLH app."""

from __future__ import annotations

from typing import Literal

import pytest

from connectors.base import WebhookRequest
from connectors.builtin.rest_json import RestJsonConnector
from connectors.testing import ConnectorContract, Harness
from hub.simulators import DLHApp
from hub.simulators.configs import DLH_STATUS_MAP, dlh_config
from schemas.models import Status

# Our status -> the DLH word an officer would pick for it.
TO_DLH = {ours: theirs for theirs, ours in reversed(DLH_STATUS_MAP.items())}


def _webhook(dlh: DLHApp, ref: str, status: Status) -> WebhookRequest:
    event = dlh.set_status(ref, TO_DLH[status.value], "Petugas menuju lokasi", push=False)
    headers, body = dlh.signed_webhook(event)
    return WebhookRequest("POST", {k.lower(): v for k, v in headers.items()}, body)


def _harness(dlh: DLHApp, auth: Literal["api_key", "oauth2"] = "api_key") -> Harness:
    return Harness(
        config=dlh_config(dlh, auth=auth, timeout=0.5),
        fail_transient=lambda: dlh.fail("error", status=503, times=1),
        fail_permanent=lambda: dlh.fail("error", status=422, times=1),
        fail_timeout=lambda: dlh.fail("timeout", times=1),
        emit_status=lambda ref, status: _webhook(dlh, ref, status),
        received=lambda ref: dlh.records[ref],
        client_timeout=0.5,
    )


class TestRestJsonWithWebhooks(ConnectorContract):
    connector_class = RestJsonConnector

    @pytest.fixture
    def harness(self, dlh: DLHApp) -> Harness:
        return _harness(dlh)


class TestRestJsonPollingWithOAuth2(ConnectorContract):
    connector_class = RestJsonConnector

    @pytest.fixture
    def harness(self, dlh: DLHApp) -> Harness:
        def emit(ref: str, status: Status) -> None:
            dlh.set_status(ref, TO_DLH[status.value], push=False)

        harness = _harness(dlh, auth="oauth2")
        harness.emit_status = emit
        return harness
