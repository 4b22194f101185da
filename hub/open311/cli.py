"""`hub open311 ...`: issue, list and revoke the API keys Open311 clients file reports with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, transaction
from hub.open311 import keys
from hub.settings import get_settings

app = typer.Typer(help="Open311 GeoReport v2 API keys.", no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    engine = make_engine(get_settings().effective_database_url)
    try:
        with transaction(sessionmaker(engine, class_=Session)) as session:
            yield session
    finally:
        engine.dispose()


@app.command("create-key")
def create_key(
    name: Annotated[str, typer.Argument(help="Who holds the key, e.g. 'Aplikasi Warga Metro'.")],
    channel: Annotated[str, typer.Option(help="Channel the reports are filed under.")] = "open311",
) -> None:
    """Issue a key; it is printed once and only its SHA-256 digest is stored."""
    try:
        with _session() as session:
            issued = keys.issue(session, name, channel=channel)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"key {issued.id} for {issued.name!r} (channel {issued.channel}):")
    typer.echo(issued.key)
    typer.echo("Store it now: it cannot be shown again.", err=True)


@app.command("list-keys")
def list_keys() -> None:
    """List keys (id, prefix, holder, channel, state); never the keys themselves."""
    with _session() as session:
        for row in keys.listing(session):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}\t{row.prefix}...\t{row.name}\t{row.channel}\t{state}")


@app.command("revoke-key")
def revoke_key(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key: reports filed with it stay; new ones are refused with 403."""
    with _session() as session:
        found = keys.revoke(session, key_id)
    if not found:
        typer.echo(f"error: no key {key_id}", err=True)
        raise typer.Exit(code=2)
    typer.echo(f"key {key_id} revoked")
