"""The `hub` command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from hub import __version__
from hub.cli import app

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


def test_db_upgrade_creates_the_embedded_database(tmp_path: Path, monkeypatch: object) -> None:
    env = {"HUB_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "db", "upgrade"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "hub.sqlite3").exists()
    assert "database is at head" in result.stdout


def test_a_bad_database_url_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    env = {
        "HUB_DATA_DIR": str(tmp_path),
        "HUB_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "hub", "db", "upgrade"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: database upgrade failed")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_command_fails_with_a_message() -> None:
    result = runner.invoke(app, ["fly"])
    assert result.exit_code != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_hub_up_serves_accepts_a_complaint_and_runs_a_background_worker(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("HUB_DATABASE_URL", None)
    env.pop("HUB_BROKER_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/healthz", time.monotonic() + 60).json() == {"status": "ok"}
        response = httpx.post(
            f"{base}/v1/complaints",
            json={"title": "Lampu jalan mati", "description": "Lampu PJU di Jl. Kartini mati."},
            timeout=60,  # a fresh data dir: the first complaint trains the triage model
        )
        assert response.status_code == 201
        assert httpx.get(f"{base}/readyz").json()["checks"] == {"database": "ok", "broker": "ok"}
        # The embedded worker is a separate process consuming the embedded broker.
        from hub.delivery.celery_app import make_celery
        from hub.settings import Settings

        celery = make_celery(Settings(data_dir=tmp_path / "data"))
        # A real delivery task: the worker must reach the hub's database to sweep the outbox.
        result = celery.send_task("hub.delivery.sweep")
        log = tmp_path / "data" / "worker.log"
        deadline = time.monotonic() + 60
        done = f"hub.delivery.sweep[{result.id}] succeeded"
        while done not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, log.read_text() if log.exists() else "no log"
            time.sleep(0.2)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in output
    assert str(tmp_path / "data") in output
    assert processes_using(tmp_path / "data") == [], "hub up left a worker behind"


def processes_using(data_dir: Path) -> list[int]:
    """Processes whose environment points at this data dir (Linux /proc)."""
    needle = f"HUB_DATA_DIR={data_dir}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found
