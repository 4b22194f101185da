"""`hub connectors ...`: connector types and instances from the command line (local operators)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session, sessionmaker

from connectors.registry import default_registry
from connectors.scaffold import ScaffoldError, scaffold
from hub.crypto import Vault
from hub.db import make_engine, make_sessionmaker, transaction
from hub.integrations import service
from hub.problems import Problem
from hub.settings import get_settings

app = typer.Typer(help="Connector types and registered connector instances.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(
        f"error: {message.strip().splitlines()[0] if message.strip() else 'failed'}", err=True
    )
    return typer.Exit(code=2)


def _problem(exc: Problem) -> typer.Exit:
    where = "; ".join(f"{e['pointer']}: {e['detail']}" for e in exc.errors or [])
    return _fail(f"{exc.detail}{' (' + where + ')' if where else ''}")


@contextmanager
def _db() -> Iterator[tuple[sessionmaker[Session], Vault]]:
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        yield make_sessionmaker(engine), Vault.from_settings(settings)
    finally:
        engine.dispose()


def _print(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command("list")
def list_types() -> None:
    """Installed connector types, and plugins that failed to load."""
    registry = default_registry()
    for info in registry.describe():
        origin = info.distribution or "built-in"
        typer.echo(f"{info.name:<16} {info.version:<8} {origin:<24} {', '.join(info.supports)}")
    for broken in registry.broken():
        typer.echo(f"{broken.name:<16} BROKEN   {broken.target}: {broken.error}")


@app.command("instances")
def list_instances(opd: Annotated[str | None, typer.Option(help="Only this OPD")] = None) -> None:
    """Registered connector instances (secrets masked)."""
    with _db() as (factory, _), factory() as session:
        for row in service.list_instances(session, institution=opd):
            state = "enabled" if row.enabled else "disabled"
            health = service.health(session, row.id)
            if health["suspended"]:
                state = f"SUSPENDED since {health['suspended_at']} ({health['parked']} parked)"
            typer.echo(f"{row.id:<24} {row.connector:<12} {row.institution:<24} {state}")


def _read_config(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
        doc = json.loads(text)
    except OSError as exc:
        raise _fail(f"cannot read config {source!r}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise _fail(f"config {source!r} is not JSON: line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise _fail(f"config {source!r} must be a JSON object")
    return doc


async def _check(instance_id: str, *, enable: bool) -> dict[str, Any]:
    settings = get_settings()
    with _db() as (factory, vault):
        with factory() as session:
            instance = service.get(session, instance_id)
        connector = service.build(instance, vault)
        try:
            result = await service.run_check(connector, seconds=settings.check_timeout)
        finally:
            await connector.aclose()
        with transaction(factory) as session:
            row = service.get(session, instance_id)
            service.record_check(row, result, enable=enable)
            return service.view(row)


@app.command("add")
def add(
    instance_id: Annotated[str, typer.Argument(help="Slug for the instance, e.g. dlh-rest")],
    connector: Annotated[str, typer.Option("--type", help="Connector type (see `list`)")],
    opd: Annotated[str, typer.Option(help="Owning OPD (institution code)")],
    config: Annotated[str, typer.Option(help="JSON config file, or - for stdin")],
    category: Annotated[list[str] | None, typer.Option(help="Category served (repeat)")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Region served (repeat)")] = None,
    enable: Annotated[bool, typer.Option(help="Check now and enable on success")] = False,
) -> None:
    """Register a connector instance (disabled until a check passes)."""
    spec = service.InstanceSpec(
        id=instance_id,
        connector=connector,
        institution=opd,
        config=_read_config(config),
        categories=category or [],
        regions=region or [],
    )
    try:
        with _db() as (factory, vault), transaction(factory) as session:
            view = service.view(
                service.register(session, vault, spec, actor=f"cli:{getpass.getuser()}")
            )
        if enable:
            view = asyncio.run(_check(instance_id, enable=True))
    except Problem as exc:
        raise _problem(exc) from exc
    _print(view)
    if enable and not view["enabled"]:
        raise _fail(f"check failed, instance stays disabled: {view['last_check']['detail']}")


@app.command("check")
def check(instance_id: str) -> None:
    """Check that the instance reaches its app with its config (does not enable)."""
    try:
        view = asyncio.run(_check(instance_id, enable=False))
    except Problem as exc:
        raise _problem(exc) from exc
    _print(view["last_check"])
    if not view["last_check"]["ok"]:
        raise typer.Exit(code=1)


@app.command("enable")
def enable_cmd(instance_id: str) -> None:
    """Check the instance, and enable it when the check passes."""
    try:
        view = asyncio.run(_check(instance_id, enable=True))
    except Problem as exc:
        raise _problem(exc) from exc
    if not view["enabled"] or not view["last_check"]["ok"]:
        raise _fail(f"check failed, instance stays disabled: {view['last_check']['detail']}")
    from hub.delivery import relay

    relay.install()  # replayed messages go to the broker after commit (else the sweep sends them)
    with _db() as (factory, _), transaction(factory) as session:
        replayed = service.resume(session, instance_id, actor=f"cli:{getpass.getuser()}")
    extra = f"; {replayed} parked messages replayed" if replayed else ""
    typer.echo(f"{instance_id} enabled{extra}")


@app.command("disable")
def disable(instance_id: str) -> None:
    """Stop using an instance."""
    try:
        with _db() as (factory, _), transaction(factory) as session:
            service.get(session, instance_id).enabled = False
    except Problem as exc:
        raise _problem(exc) from exc
    typer.echo(f"{instance_id} disabled")


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Connector name, lower_snake_case")],
    dest: Annotated[Path, typer.Option(help="Where to create the package")] = Path("."),
) -> None:
    """Scaffold a connector package (class, config schema, contract tests, entry point)."""
    try:
        root = scaffold(name, dest)
    except ScaffoldError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"created {root}")
    typer.echo(f'next: cd {root} && pip install -e ".[test]" && pytest')
