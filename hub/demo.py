"""`hub demo`: the whole hub on embedded defaults with simulated OPD apps, end to end.

It starts the simulators (DLH over REST/JSON, Bina Marga over SOAP, the RSUD hospital over
Open311, Bapenda's vehicle-tax lookup, an SMTP inbox for Dinas Sosial), registers a connector
instance for each exactly as an OPD developer would (config checked, secrets sealed), runs the
API with a background worker and scheduler, files sample complaints through the real HTTP API,
and shows them reach the OPD apps and their statuses come back.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import typer
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from connectors import CheckResult, Connector
from hub.complaints.models import Complaint
from hub.crypto import Vault
from hub.db import make_engine, make_sessionmaker, transaction
from hub.integrations import service as integrations
from hub.settings import Settings
from hub.simulators.run import Simulators, start_all

say = typer.echo


@dataclass(frozen=True)
class Sample:
    label: str
    body: dict[str, Any]
    expect: str  # what should happen, for the reader


SAMPLES = [
    Sample(
        "Pencemaran sungai oleh pabrik (DLH, REST/JSON, status lewat webhook)",
        {
            "channel": "superapp",
            "title": "Limbah pabrik tapioka mencemari sungai",
            "description": "Limbah cair pabrik tapioka dibuang ke Way Sekampung, air sungai "
            "hitam dan berbau, ikan mati. Mohon DLH Provinsi segera menindak.",
            "location": {"lat": -5.1167, "lon": 105.3, "region": "kab-lampung-timur"},
        },
        "routed to DLH Provinsi, delivered to its app, status pushed back by webhook",
    ),
    Sample(
        "Jalan provinsi rusak (Bina Marga, SOAP/XML, status lewat polling)",
        {
            "channel": "web",
            "title": "Jalan provinsi berlubang besar",
            "description": "Ruas jalan provinsi Natar - Branti berlubang besar dan dalam, "
            "sudah banyak pengendara motor jatuh di malam hari.",
            "location": {"lat": -5.2833, "lon": 105.1833, "region": "kab-lampung-selatan"},
        },
        "routed to Bina Marga, delivered over SOAP, status fetched by polling",
    ),
    Sample(
        "Pelayanan RSUD Abdul Moeloek (Open311)",
        {
            "channel": "superapp",
            "title": "Antrian pelayanan RSUD Abdul Moeloek sangat lama",
            "description": "Pasien BPJS di poli penyakit dalam RSUD Abdul Moeloek menunggu "
            "lebih dari enam jam tanpa kejelasan jadwal dokter.",
            "location": {
                "lat": -5.4015,
                "lon": 105.2573,
                "address": "Jl. Dr. Rivai No. 6, Penengahan",
                "region": "kota-bandar-lampung",
            },
        },
        "routed to the hospital, delivered to its Open311 server",
    ),
    Sample(
        "Motor dicuri (di luar kewenangan pemerintah provinsi)",
        {
            "channel": "superapp",
            "title": "Motor saya dicuri di parkiran pasar",
            "description": "Sepeda motor Honda Beat saya hilang dicuri di parkiran Pasar Bambu "
            "Kuning tadi siang, kunci sudah saya bawa.",
            "location": {"region": "kota-bandar-lampung"},
        },
        "redirected to the police, with a message for the citizen",
    ),
]


def _wait(what: str, check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    say(f"  ! gave up waiting for {what} after {seconds:g} s")
    return False


class Demo:
    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.base = f"http://{host}:{port}"
        self.engine = make_engine(settings.effective_database_url)
        self.factory: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.sims: Simulators | None = None
        self.filed: dict[str, uuid.UUID] = {}

    # -- set-up ----------------------------------------------------------------------------
    def start_simulators(self) -> Simulators:
        webhook = f"{self.base}/v1/connectors/dlh-rest/webhook"
        self.sims = start_all(webhook_url=webhook)
        return self.sims

    def register_connectors(self) -> None:
        assert self.sims is not None
        vault = Vault.from_settings(self.settings)
        for instance_id, spec in self.sims.connector_instances().items():
            with transaction(self.factory) as session:
                integrations.register(
                    session,
                    vault,
                    integrations.InstanceSpec(
                        id=instance_id,
                        connector=spec["connector"],
                        institution=spec["institution"],
                        config=spec["config"],
                    ),
                    actor="hub demo",
                )
            with self.factory() as session:
                instance = integrations.get(session, instance_id)
            result = asyncio.run(_check(integrations.build(instance, vault)))
            with transaction(self.factory) as session:
                integrations.record_check(
                    integrations.get(session, instance_id), result, enable=True
                )
            state = "enabled" if result.ok else f"NOT enabled ({result.detail})"
            say(f"  {instance_id:<14} {spec['connector']:<10} -> {spec['institution']:<20} {state}")

    # -- the scenario ----------------------------------------------------------------------
    def complaint(self, complaint_id: uuid.UUID) -> Complaint:
        with self.factory() as session:
            row = session.get(Complaint, complaint_id)
            assert row is not None
            return row

    def file_samples(self, client: httpx.Client) -> None:
        for sample in SAMPLES:
            response = client.post(
                f"{self.base}/v1/complaints",
                json=sample.body,
                headers={"Idempotency-Key": f"demo-{uuid.uuid4().hex[:12]}"},
            )
            response.raise_for_status()
            body = response.json()
            self.filed[sample.label] = uuid.UUID(body["id"])
            say(f"  {body['tracking_code']}  {body['status']:<11} {sample.label}")
            say(f"                   expected: {sample.expect}")

    def wait_for_dispatch(self) -> None:
        for label, complaint_id in self.filed.items():

            def delivered(cid: uuid.UUID = complaint_id) -> bool:
                return self.complaint(cid).status != "triaged"

            _wait(f"delivery of {label!r}", delivered, 60)

    def officers_act(self) -> None:
        """Staff in the OPD apps move the reports on, as they would in their own app."""
        assert self.sims is not None
        for complaint_id in self.filed.values():
            row = self.complaint(complaint_id)
            refs = row.external_refs
            if "dlh-rest" in refs:
                self.sims.dlh.set_status(refs["dlh-rest"], "DIPROSES", "Tim DLH meninjau lokasi.")
                self.sims.dlh.set_status(
                    refs["dlh-rest"], "DITINDAKLANJUTI", "Sampel air diambil; pabrik ditegur."
                )
            if "rsud-open311" in refs:
                self.sims.rsud.set_status(
                    refs["rsud-open311"], "investigating", "Manajemen RSUD menelusuri antrian."
                )
            if "bmbk-soap" in refs:
                self.sims.bina_marga.set_status(
                    refs["bmbk-soap"], "DIKERJAKAN", "Penambalan dijadwalkan minggu ini."
                )

    def show(self) -> None:
        for label, complaint_id in self.filed.items():
            row = self.complaint(complaint_id)
            say(f"  {row.tracking_code}  now {row.status:<12} at {row.institution or '-'}")
            with self.factory() as session:
                fresh = session.get(Complaint, complaint_id)
                assert fresh is not None
                for event in fresh.events:
                    note = f"  {event.note}" if event.note else ""
                    say(f"      {event.seq:>2}. {event.type:<26} {event.status or '':<12}{note}")
            say(f"      ({label})")

    def run(self, client: httpx.Client, *, service_call: bool = True) -> None:
        say("\n== Filing sample complaints through the unified API ==")
        self.file_samples(client)
        say("\n== Waiting for the worker to deliver them to the OPD apps ==")
        self.wait_for_dispatch()
        assert self.sims is not None
        say(f"  DLH app holds {len(self.sims.dlh.records)} report(s)")
        say("\n== OPD staff update the reports in their own apps ==")
        self.officers_act()
        dlh_id = next((c for label, c in self.filed.items() if "DLH" in label), None)
        if dlh_id is not None:
            _wait(
                "the DLH status to come back",
                lambda: self.complaint(dlh_id).status == "in_progress",
                30,
            )
        road_id = next((c for label, c in self.filed.items() if "Bina Marga" in label), None)
        if road_id is not None:
            _wait(
                "the Bina Marga status to be polled",
                lambda: self.complaint(road_id).status == "in_progress",
                60,
            )
        rsud_id = next((c for label, c in self.filed.items() if "RSUD" in label), None)
        if rsud_id is not None:
            _wait(
                "the RSUD status to be polled",
                lambda: self.complaint(rsud_id).status == "acknowledged",
                60,
            )
        say("\n== Timelines ==")
        self.show()
        if service_call:
            say("\n== A synchronous service call: vehicle tax (Bapenda) ==")
            say("  (needs a token with services:call; shown here from inside the hub)")
            with self.factory() as session:
                instance = integrations.get(session, "bapenda-pkb")
            connector = integrations.build(instance, Vault.from_settings(self.settings))
            answer = asyncio.run(_vehicle_tax(connector, "BE 1234 AB"))
            say(f"  BE 1234 AB -> {answer}")

    def urls(self) -> list[str]:
        assert self.sims is not None
        lines = [
            f"  API docs        {self.base}/docs",
            f"  public page     {self.base}/publik",
            f"  Open311         {self.base}/open311/v2/discovery.json",
            f"  SSO discovery   {self.base}/.well-known/openid-configuration",
            f"  metrics         {self.base}/metrics",
        ]
        lines += [f"  sim {name:<11} {url}" for name, url in self.sims.urls().items()]
        return lines

    def close(self) -> None:
        if self.sims is not None:
            self.sims.stop()
        self.engine.dispose()


async def _check(connector: Connector) -> CheckResult:
    try:
        return await integrations.run_check(connector, seconds=10)
    finally:
        await connector.aclose()


async def _vehicle_tax(connector: Connector, plate: str) -> dict[str, Any]:
    try:
        return await integrations.call_operation(
            connector, "vehicle_tax", {"plate": plate}, seconds=10
        )
    finally:
        await connector.aclose()


def fresh_data_dir(settings: Settings) -> Settings:
    """The demo keeps its own data under <data dir>/demo, new on every run."""
    demo_dir = (settings.data_dir / "demo").resolve()
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    return settings.model_copy(update={"data_dir": demo_dir, "database_url": None})


def run_demo(settings: Settings, host: str, port: int, *, once: bool) -> int:
    """Returns a process exit code: 0 when every sample ended where it should."""
    from hub.app import create_app
    from hub.cli import start_worker
    from hub.migrate import upgrade
    from hub.sso import bootstrap

    settings = fresh_data_dir(settings).model_copy(update={"public_url": f"http://{host}:{port}"})
    say(f"Lampung-In Hub demo: data in {settings.data_dir}")
    upgrade(settings.effective_database_url)
    demo = Demo(settings, host, port)
    demo.start_simulators()
    say("\n== Simulated OPD apps, registered as connector instances ==")
    demo.register_connectors()
    first_run = bootstrap(settings, demo.factory)
    worker = start_worker(
        settings,
        settings.data_dir / "worker.log",
        extra_env={
            "HUB_DELIVERY_POLL_INTERVAL": "3",
            "HUB_DELIVERY_SWEEP_INTERVAL": "2",
            "HUB_PUBLIC_URL": f"http://{host}:{port}",
        },
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    outcome: dict[str, bool] = {}

    def scenario() -> None:
        try:
            if not _wait("the API", lambda: server.started, 30):
                return
            with httpx.Client(timeout=30) as client:
                demo.run(client)
            outcome["ok"] = demo_succeeded(demo)
            say("\n== Look around ==")
            for line in demo.urls() + first_run:
                say(line)
            say(f"  worker log      {settings.data_dir / 'worker.log'}")
            if not once:
                say("\nThe hub keeps running; press Ctrl-C to stop.")
        except Exception as exc:  # the demo reports, it does not hide failures
            say(f"\nerror: the demo failed: {type(exc).__name__}: {exc}", err=True)
            outcome["ok"] = False
        finally:
            if once:
                server.should_exit = True

    thread = threading.Thread(target=scenario, name="demo-scenario", daemon=True)
    thread.start()
    try:
        server.run()
    finally:
        thread.join(timeout=5)
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except Exception:
            worker.kill()
        demo.close()
    return 0 if outcome.get("ok") else 1


# Where each sample must end: delivered, and its OPD's status back in the hub.
EXPECTED_END = {
    "DLH": "in_progress",
    "Bina Marga": "in_progress",
    "RSUD": "acknowledged",
    "Motor": "redirected",
}


def demo_succeeded(demo: Demo) -> bool:
    ok = True
    for label, complaint_id in demo.filed.items():
        status = demo.complaint(complaint_id).status
        wanted = next(end for key, end in EXPECTED_END.items() if key in label)
        if status != wanted:
            say(f"  ! {label}: ended {status}, expected {wanted}")
            ok = False
    say(f"\nDemo {'succeeded' if ok else 'FAILED'}.")
    return ok
