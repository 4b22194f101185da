"""`hub simulators run`: the simulated OPD apps for a demo (a typer sub-app the lead mounts)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer

from hub.simulators.run import start_all

app = typer.Typer(help="Simulated OPD apps (DLH, Bina Marga, RSUD, Bapenda, SMTP).")


@app.command()
def run(
    base_port: Annotated[int, typer.Option(help="First port; 0 picks free ports.")] = 0,
    webhook_url: Annotated[str | None, typer.Option(help="Where DLH pushes status.")] = None,
    configs: Annotated[
        Path | None, typer.Option(help="Write the connector instance configs (JSON) here.")
    ] = None,
) -> None:
    """Run every simulator until Ctrl-C."""
    sims = start_all(base_port=base_port, webhook_url=webhook_url)
    try:
        for name, url in sims.urls().items():
            typer.echo(f"{name:<11} {url}")
        if configs is not None:
            configs.write_text(json.dumps(sims.connector_instances(), indent=2), "utf-8")
            configs.chmod(0o600)  # holds the simulators' (throwaway) credentials
            typer.echo(f"connector configs written to {configs}")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sims.stop()


if __name__ == "__main__":
    app()
