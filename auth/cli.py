"""`hub clients ...` and `hub keys ...`: typer sub-apps the hub CLI mounts.

    from auth.cli import build_clients_cli, build_keys_cli
    app.add_typer(build_clients_cli(context), name="clients")
    app.add_typer(build_keys_cli(context), name="keys")
    app.add_typer(build_users_cli(context), name="users")

`context` is a zero-argument callable returning (AuthConfig, sessionmaker), so nothing touches
the database until a command runs. Each command is audited as `cli:<os user>`.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from auth import clients, keys
from auth.audit import Actor, record
from auth.client_schemas import ClientCreate, ClientUpdate
from auth.config import AuthConfig
from auth.crypto import Cipher, random_token
from auth.users import UserError, create_asn, find_by_identifier

Context = Callable[[], tuple[AuthConfig, sessionmaker[Session]]]


def _actor() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(f"cli:{name}", "local")


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def build_clients_cli(context: Context) -> typer.Typer:
    app = typer.Typer(help="SSO clients: create, rotate secrets, change, disable, delete.")

    def run(fn: Callable[[AuthConfig, Session], Any]) -> Any:
        config, factory = context()
        try:
            with factory() as session, session.begin():
                return fn(config, session)
        except clients.ClientNotFound as exc:
            raise _fail(str(exc)) from exc
        except (clients.ClientError, ValidationError) as exc:
            raise _fail(str(exc)) from exc

    def public(config: AuthConfig, client: Any) -> dict[str, Any]:
        return clients.to_public(client, config.clock()).model_dump(mode="json")

    @app.command("list")
    def list_(
        opd: Annotated[str | None, typer.Option(help="only this OPD's clients")] = None,
    ) -> None:
        """List clients."""
        rows = run(lambda c, s: [public(c, x) for x in clients.list_clients(s, opd)])
        for row in rows:
            state = "disabled" if row["disabled"] else "active"
            typer.echo(
                f"{row['client_id']}\t{row['kind']}\t{state}\t{row['opd'] or '-'}\t{row['name']}"
            )

    @app.command()
    def create(
        name: Annotated[str, typer.Option(help="display name shown on the consent page")],
        kind: Annotated[str, typer.Option(help="public | confidential")] = "confidential",
        grant: Annotated[
            list[str] | None,
            typer.Option(help="repeat: authorization_code, refresh_token, client_credentials"),
        ] = None,
        redirect_uri: Annotated[list[str] | None, typer.Option(help="repeat")] = None,
        post_logout_uri: Annotated[list[str] | None, typer.Option(help="repeat")] = None,
        scope: Annotated[list[str] | None, typer.Option(help="default scope; repeat")] = None,
        optional_scope: Annotated[list[str] | None, typer.Option(help="repeat")] = None,
        opd: Annotated[str | None, typer.Option(help="owning OPD code")] = None,
        client_id: Annotated[str | None, typer.Option(help="generated when omitted")] = None,
        first_party: Annotated[bool, typer.Option(help="skip the consent page")] = False,
        access_ttl: Annotated[int | None, typer.Option(help="seconds")] = None,
        refresh_ttl: Annotated[int | None, typer.Option(help="seconds")] = None,
    ) -> None:
        """Create a client; a confidential client's secret is printed once, never again."""
        try:
            spec = ClientCreate(
                client_id=client_id,
                name=name,
                kind=kind,
                first_party=first_party,
                grant_types=grant or ["authorization_code"],
                redirect_uris=redirect_uri or [],
                post_logout_redirect_uris=post_logout_uri or [],
                default_scopes=scope or [],
                optional_scopes=optional_scope or [],
                opd=opd,
                access_token_ttl=access_ttl,
                refresh_token_ttl=refresh_ttl,
            )
        except ValidationError as exc:
            raise _fail(str(exc)) from exc

        def make(config: AuthConfig, s: Session) -> dict[str, Any]:
            client, secret = clients.create(
                s,
                spec,
                actor=_actor(),
                now=config.clock(),
                scopes_supported=config.scopes_supported,
            )
            return {"client": public(config, client), "client_secret": secret}

        result = run(make)
        _echo(result["client"])
        if result["client_secret"]:
            typer.echo(f"\nclient_secret (shown once, store it now): {result['client_secret']}")

    @app.command()
    def show(client_id: str) -> None:
        """Show one client (secrets only as hints)."""
        _echo(run(lambda c, s: public(c, clients.get(s, client_id))))

    @app.command("rotate-secret")
    def rotate_secret(
        client_id: str,
        grace: Annotated[
            int | None, typer.Option(help="seconds the old secret stays valid")
        ] = None,
    ) -> None:
        """Issue a new secret; the old one stays valid for the grace period."""

        def rotate(config: AuthConfig, s: Session) -> str:
            return clients.rotate_secret(
                s,
                client_id,
                grace_seconds=config.secret_grace if grace is None else grace,
                actor=_actor(),
                now=config.clock(),
            )

        secret = run(rotate)
        typer.echo(f"new client_secret (shown once, store it now): {secret}")

    @app.command()
    def update(
        client_id: str,
        name: Annotated[str | None, typer.Option()] = None,
        grant: Annotated[list[str] | None, typer.Option(help="replaces the list")] = None,
        redirect_uri: Annotated[list[str] | None, typer.Option(help="replaces the list")] = None,
        post_logout_uri: Annotated[list[str] | None, typer.Option(help="replaces")] = None,
        scope: Annotated[list[str] | None, typer.Option(help="replaces defaults")] = None,
        optional_scope: Annotated[list[str] | None, typer.Option(help="replaces")] = None,
        opd: Annotated[str | None, typer.Option()] = None,
        first_party: Annotated[bool | None, typer.Option("--first-party/--third-party")] = None,
        access_ttl: Annotated[int | None, typer.Option()] = None,
        refresh_ttl: Annotated[int | None, typer.Option()] = None,
    ) -> None:
        """Change redirect URIs, scopes, grants or lifetimes (given lists replace old ones)."""
        given = {
            "name": name,
            "grant_types": grant,
            "redirect_uris": redirect_uri,
            "post_logout_redirect_uris": post_logout_uri,
            "default_scopes": scope,
            "optional_scopes": optional_scope,
            "opd": opd,
            "first_party": first_party,
            "access_token_ttl": access_ttl,
            "refresh_token_ttl": refresh_ttl,
        }
        try:
            changes = ClientUpdate(**{k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise _fail(str(exc)) from exc
        if not changes.model_fields_set:
            raise _fail("nothing to change")
        _echo(
            run(
                lambda c, s: public(
                    c,
                    clients.update(
                        s,
                        client_id,
                        changes,
                        actor=_actor(),
                        now=c.clock(),
                        scopes_supported=c.scopes_supported,
                    ),
                )
            )
        )

    @app.command()
    def disable(client_id: str) -> None:
        """Disable a client: no new tokens, and its live tokens stop working."""
        run(lambda c, s: clients.set_disabled(s, client_id, True, actor=_actor(), now=c.clock()))
        typer.echo(f"disabled {client_id}")

    @app.command()
    def enable(client_id: str) -> None:
        """Enable a disabled client again."""
        run(lambda c, s: clients.set_disabled(s, client_id, False, actor=_actor(), now=c.clock()))
        typer.echo(f"enabled {client_id}")

    @app.command()
    def delete(
        client_id: str, yes: Annotated[bool, typer.Option("--yes", help="confirm")] = False
    ) -> None:
        """Delete a client and revoke its tokens."""
        if not yes:
            raise _fail("deleting a client cannot be undone; repeat with --yes")
        run(lambda c, s: clients.delete(s, client_id, actor=_actor(), now=c.clock()))
        typer.echo(f"deleted {client_id}")

    return app


def build_keys_cli(context: Context) -> typer.Typer:
    app = typer.Typer(help="SSO signing keys.")

    @app.command()
    def rotate() -> None:
        """New active signing key; the old one stays in the JWKS for the overlap window."""
        config, factory = context()
        with factory() as session, session.begin():
            now = config.clock()
            key = keys.rotate(session, Cipher(config.secret_key), now, config.key_overlap)
            record(
                session, _actor(), "keys.rotated", key.kid, now, overlap_seconds=config.key_overlap
            )
            typer.echo(f"active key {key.kid}; previous keys published for {config.key_overlap} s")

    @app.command("list")
    def list_() -> None:
        """Published keys (active and passive)."""
        config, factory = context()
        with factory() as session:
            for row in keys.published_keys(session, config.clock()):
                typer.echo(
                    f"{row.kid}\t{row.status}\t{row.created_at.isoformat()}\t"
                    f"{row.retire_after.isoformat() if row.retire_after else '-'}"
                )

    return app


def build_users_cli(context: Context) -> typer.Typer:
    app = typer.Typer(help="SSO users: civil servants (ASN) of an OPD.")

    @app.command("create-asn")
    def create_asn_cmd(
        email: Annotated[str, typer.Option()],
        name: Annotated[str, typer.Option()],
        role: Annotated[list[str], typer.Option(help="opd_staff | opd_admin | hub_admin")],
        opd: Annotated[str | None, typer.Option(help="OPD code")] = None,
    ) -> None:
        """Create an ASN account; prints a one-time password to hand over."""
        config, factory = context()
        password = random_token(15)
        try:
            with factory() as session, session.begin():
                user = create_asn(
                    session, name=name, email=email, password=password, opd=opd,
                    roles=role, actor=_actor(), now=config.clock(), must_change_password=True,
                )  # fmt: skip
                user_id = user.id
        except UserError as exc:
            raise _fail(str(exc)) from exc
        typer.echo(f"created {user_id}\none-time password (shown once): {password}")

    @app.command()
    def disable(email: str) -> None:
        """Disable a user: no sign-in, and the SSO session stops working."""
        config, factory = context()
        with factory() as session, session.begin():
            user = find_by_identifier(session, email)
            if user is None:
                raise _fail(f"no user {email!r}")
            user.disabled = True
            record(session, _actor(), "user.disabled", str(user.id), config.clock())
        typer.echo(f"disabled {email}")

    return app
