"""Start every simulated OPD app at once (the demo, benchmarks) and describe how to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.simulators.bapenda import BapendaApp
from hub.simulators.bina_marga import BinaMargaApp
from hub.simulators.configs import (
    bapenda_config,
    bina_marga_config,
    dlh_config,
    email_config,
    rsud_config,
)
from hub.simulators.dlh import DLHApp
from hub.simulators.rsud import RSUDApp
from hub.simulators.smtp import SmtpSink

__all__ = ["Simulators", "start_all"]


@dataclass
class Simulators:
    dlh: DLHApp
    bina_marga: BinaMargaApp
    rsud: RSUDApp
    bapenda: BapendaApp
    smtp: SmtpSink

    def urls(self) -> dict[str, str]:
        return {
            "dlh": self.dlh.url,
            "bina_marga": f"{self.bina_marga.url}/ws/laporan",
            "rsud": self.rsud.open311_url,
            "bapenda": self.bapenda.url,
            "smtp": self.smtp.url,
        }

    def connector_instances(self) -> dict[str, dict[str, Any]]:
        """Instance name -> {connector, institution, config}: what `hub connectors add` takes."""
        return {
            "dlh-rest": {
                "connector": "rest_json",
                "institution": "dlh-prov",
                "config": dlh_config(self.dlh),
            },
            "bmbk-soap": {
                "connector": "soap_xml",
                "institution": "bmbk-prov",
                "config": bina_marga_config(self.bina_marga),
            },
            "rsud-open311": {
                "connector": "open311",
                "institution": "rsud-abdul-moeloek",
                "config": rsud_config(self.rsud),
            },
            "bapenda-pkb": {
                "connector": "rest_json",
                "institution": "bapenda-prov",
                "config": bapenda_config(self.bapenda),
            },
            "dinsos-email": {
                "connector": "email",
                "institution": "dinsos-prov",
                "config": email_config(self.smtp),
            },
        }

    def stop(self) -> None:
        for app in (self.dlh, self.bina_marga, self.rsud, self.bapenda):
            app.stop()
        self.smtp.stop()


def start_all(
    *,
    host: str = "127.0.0.1",
    base_port: int = 0,
    webhook_url: str | None = None,
    hang_limit: float = 30.0,
) -> Simulators:
    """Start all simulators; ports base_port..base_port+4, or free ports when base_port is 0."""

    def port(offset: int) -> int:
        return base_port + offset if base_port else 0

    common: dict[str, Any] = {"host": host, "hang_limit": hang_limit}
    return Simulators(
        dlh=DLHApp(webhook_url=webhook_url, port=port(0), **common).start(),
        bina_marga=BinaMargaApp(port=port(1), **common).start(),
        rsud=RSUDApp(port=port(2), **common).start(),
        bapenda=BapendaApp(port=port(3), **common).start(),
        smtp=SmtpSink(port=port(4), **common).start(),
    )
