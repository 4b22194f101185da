"""The built-in soap_xml connector passes the contract kit against the simulated Bina Marga app."""

from __future__ import annotations

import pytest

from connectors.builtin.soap_xml import SoapXmlConnector
from connectors.testing import ConnectorContract, Harness
from hub.simulators import BinaMargaApp
from hub.simulators.configs import BINA_MARGA_STATUS_MAP, bina_marga_config
from schemas.models import Status

TO_BM = {ours: theirs for theirs, ours in reversed(BINA_MARGA_STATUS_MAP.items())}


class TestSoapXml(ConnectorContract):
    connector_class = SoapXmlConnector

    @pytest.fixture
    def harness(self, bina_marga: BinaMargaApp) -> Harness:
        def emit(ref: str, status: Status) -> None:
            bina_marga.set_status(ref, TO_BM[status.value], "Tim sudah di lokasi")

        return Harness(
            config=bina_marga_config(bina_marga, timeout=0.5),
            fail_transient=lambda: bina_marga.fail("error", status=503, times=1),
            # A request the service refuses as invalid: a soap:Client fault.
            fail_permanent=lambda: bina_marga.fail("error", status=400, times=1),
            fail_timeout=lambda: bina_marga.fail("timeout", times=1),
            emit_status=emit,
            received=lambda ref: bina_marga.tickets[ref],
            client_timeout=0.5,
        )
