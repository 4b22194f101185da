"""The `hub` command: run the hub, manage its database, and the domain sub-commands."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from auth.cli import build_clients_cli, build_keys_cli, build_users_cli
from auth.setup import AuthConfig
from hub import __version__
from hub.db import make_engine, make_sessionmaker
from hub.delivery.cli import app as deliveries_cli
from hub.integrations.cli import app as connectors_cli
from hub.open311.cli import app as open311_cli
from hub.routing.cli import app as routing_cli
from hub.settings import Settings, get_settings
from hub.simulators.cli import app as simulators_cli
from hub.sla.cli import app as sla_cli
from hub.triage.cli import app as triage_cli

app = typer.Typer(
    name="hub",
    help="Lampung-In Hub: the integration hub behind the Lampung-In super-app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema and seed data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(connectors_cli, name="connectors")


def _sso_context() -> tuple[AuthConfig, sessionmaker[Session]]:
    from hub.sso import sso_config

    settings = get_settings()
    return sso_config(settings), make_sessionmaker(make_engine(settings.effective_database_url))


app.add_typer(triage_cli, name="triage")
app.add_typer(routing_cli, name="routing")
app.add_typer(sla_cli, name="sla")
app.add_typer(deliveries_cli, name="deliveries")
app.add_typer(simulators_cli, name="simulators")
app.add_typer(build_clients_cli(_sso_context), name="clients", help="SSO clients (admins).")
app.add_typer(build_keys_cli(_sso_context), name="keys", help="SSO signing keys.")
app.add_typer(build_users_cli(_sso_context), name="users", help="SSO users (ASN accounts).")
app.add_typer(open311_cli, name="open311")

Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)]


def fail(message: str) -> typer.Exit:
    """One clear line on stderr and a non-zero exit: how every CLI error ends."""
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    typer.echo(f"error: {first}", err=True)
    return typer.Exit(code=2)


@app.command()
def version() -> None:
    """Print the hub's version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations and add missing seed data."""
    from hub.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.effective_database_url, revision)
    except Exception as exc:
        raise fail(f"database upgrade failed: {type(exc).__name__}: {exc}") from exc
    typer.echo(f"database is at {revision}: {_safe_url(settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from hub.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes (the API is stateless: one per core).")
    ] = 1,
) -> None:
    """Run the HTTP API only (production: run workers and beat separately)."""
    if workers == 1:
        _serve(get_settings(), host, port)
        return
    import uvicorn

    # Each process builds its own app from the environment's settings.
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Parallel deliveries.")] = 4,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork or solo.")] = "prefork",
    beat: Annotated[bool, typer.Option(help="Also run the scheduler (one process only).")] = False,
    queues: Annotated[str | None, typer.Option(help="Comma-separated queues to consume.")] = None,
) -> None:
    """Run a Celery worker that delivers queued messages."""
    from hub.delivery.celery_app import celery_app

    argv = ["worker", f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"]
    if beat:
        schedule = get_settings().data_dir / "celerybeat-schedule"
        argv += ["--beat", f"--schedule={schedule}"]
    if queues:
        argv.append(f"--queues={queues}")
    celery_app.worker_main(argv)


@app.command("beat")
def beat_cmd() -> None:
    """Run the scheduler (outbox sweep, status polling, service-level checks)."""
    from hub.delivery.celery_app import celery_app

    schedule = get_settings().data_dir / "celerybeat-schedule"
    celery_app.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when `hub up` dies, even by SIGKILL (no orphan workers)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_worker(
    settings: Settings, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The embedded worker (with the scheduler) as a child process sharing our settings."""
    env = dict(os.environ)
    env["HUB_DATA_DIR"] = str(settings.data_dir.resolve())
    env.update(extra_env or {})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hub", "worker", "--beat"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # uvicorn re-raises the signal after its graceful shutdown; leaving through Python (not the
    # default handler) lets `up` stop its worker in its `finally`.
    raise SystemExit(0)


@app.command()
def up(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Run the whole hub on this machine: migrations, a worker with scheduler, and the API."""
    from hub.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.effective_database_url)
    except Exception as exc:
        raise fail(f"database upgrade failed: {type(exc).__name__}: {exc}") from exc
    from hub.sso import bootstrap

    engine = make_engine(settings.effective_database_url)
    try:
        first_run = bootstrap(settings, make_sessionmaker(engine))
    finally:
        engine.dispose()
    log = settings.data_dir / "worker.log"
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    child = start_worker(settings, log)
    typer.echo(f"Lampung-In Hub {__version__}")
    typer.echo(f"  listening on  http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    typer.echo(f"  data          {settings.data_dir.resolve()}")
    typer.echo(f"  database      {_safe_url(settings.effective_database_url)}")
    typer.echo(f"  broker        {_safe_url(settings.effective_broker_url)}")
    typer.echo(f"  worker log    {log.resolve()}")
    for line in first_run:
        typer.echo(line)
    try:
        _serve(settings, host, port)
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


@app.command()
def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    once: Annotated[
        bool, typer.Option(help="Exit after the scenario (for scripts and CI).")
    ] = False,
) -> None:
    """The hub with simulated OPD apps: sample complaints delivered and their statuses back."""
    from hub.demo import run_demo

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    code = run_demo(get_settings(), host, port, once=once)
    raise typer.Exit(code=code)


TRIAGE_COMMANDS = {"predict", "eval", "train", "--help", "-h"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    # `hub triage "teks pengaduan"` is short for `hub triage predict "teks pengaduan"`.
    if len(args) >= 2 and args[0] == "triage" and args[1] not in TRIAGE_COMMANDS:
        args.insert(1, "predict")
    app(args=args, prog_name="hub")
