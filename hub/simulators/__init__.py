"""Simulated OPD apps: small real HTTP servers on 127.0.0.1 for tests, benchmarks and the demo.

    with DLHApp() as dlh:                       # starts on a free port, stops on exit
        config = dlh_config(dlh)                # a rest_json config that reaches it
        dlh.fail("error", status=503, times=1)  # the next request answers 503

`python -m hub.simulators` runs all of them and prints their URLs and connector configs.
"""

from hub.simulators.bapenda import BapendaApp
from hub.simulators.base import Fault, FaultMode, SimulatedApp
from hub.simulators.bina_marga import BinaMargaApp
from hub.simulators.dlh import DLHApp
from hub.simulators.rsud import RSUDApp
from hub.simulators.smtp import SmtpSink

__all__ = [
    "BapendaApp",
    "BinaMargaApp",
    "DLHApp",
    "Fault",
    "FaultMode",
    "RSUDApp",
    "SimulatedApp",
    "SmtpSink",
]
