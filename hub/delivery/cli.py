"""`hub deliveries ...`: inspect and repair the outbox from a terminal."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from hub.delivery import relay, service
from hub.delivery.runtime import get_runtime

app = typer.Typer(
    help="Deliveries and dead letters (pengiriman dan surat mati).", no_args_is_help=True
)


def _ids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError as exc:
        raise typer.BadParameter(f"not a message id: {exc}") from exc


@app.command("list")
def list_(
    state: Annotated[
        str, typer.Option(help="pending, delivered, dead, discarded, or all")
    ] = "dead",
    target: Annotated[str | None, typer.Option(help="connector instance or webhook:<id>")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List messages, newest first (dead letters by default)."""
    with get_runtime().factory() as session:
        try:
            views = service.list_messages(
                session, state=None if state == "all" else state, target=target, limit=limit
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        rows = [v.as_dict(with_attempts=False) for v in views]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no messages")
    for r in rows:
        typer.echo(
            f"{r['id']}  {r['state']:<9} {r['target'] or '-':<24} attempts={r['attempts']}"
            f"  {(r['last_error'] or '')[:60]}"
        )


@app.command()
def show(message_id: str) -> None:
    """One message with every attempt."""
    (mid,) = _ids([message_id])
    with get_runtime().factory() as session:
        try:
            view = service.show(session, mid)
        except service.DeliveryNotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(json.dumps(view.as_dict(), indent=2))


@app.command()
def replay(
    message_ids: Annotated[list[str] | None, typer.Argument()] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="replay every dead letter")] = False,
    target: Annotated[str | None, typer.Option(help="with --all-dead: only this target")] = None,
) -> None:
    """Put dead letters back in the queue: pending, due now, retry budget reset."""
    if not message_ids and not all_dead:
        raise typer.BadParameter("name message ids, or use --all-dead")
    with get_runtime().factory() as session:
        try:
            with session.begin():
                if all_dead:
                    ids = service.replay_dead(session, target=target)
                else:
                    ids = service.replay(session, _ids(message_ids or []))
        except (service.DeliveryNotFound, service.InvalidState) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    if not relay.installed():
        relay.flush(ids)
    typer.echo(f"replayed {len(ids)} message(s)")


@app.command()
def discard(
    message_id: str, reason: Annotated[str, typer.Option(help="why it is given up on")]
) -> None:
    """Give up on a dead letter, with a reason kept for the audit trail."""
    (mid,) = _ids([message_id])
    with get_runtime().factory() as session:
        try:
            with session.begin():
                service.discard(session, mid, reason)
        except (service.DeliveryNotFound, service.InvalidState, ValueError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"discarded {message_id}")


@app.command()
def targets(
    limit: Annotated[
        str | None, typer.Option(help="with --target: max calls in flight, or 'default'")
    ] = None,
    target: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Breaker state per target; `--target X --limit N` sets the OPD's concurrency limit."""
    rt = get_runtime()
    if limit is not None:
        if target is None:
            raise typer.BadParameter("--limit needs --target")
        value = None if limit == "default" else int(limit)
        with rt.factory() as session:
            try:
                with session.begin():
                    service.set_max_in_flight(session, target, value)
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from exc
    with rt.factory() as session:
        for t in service.targets(session):
            typer.echo(
                f"{t['target']:<40} {t['breaker']:<9} failures={t['failures']}"
                f" max_in_flight={t['max_in_flight'] or 'default'}"
            )
