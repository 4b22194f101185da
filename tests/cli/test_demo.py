"""`hub demo`: the README's first command, end to end with real processes and simulators."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import free_port, processes_using


def test_the_demo_delivers_samples_and_brings_their_statuses_back(tmp_path: Path) -> None:
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data")}
    for name in ("HUB_DATABASE_URL", "HUB_BROKER_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "hub", "demo", "--once", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Demo succeeded." in out
    for instance in ("dlh-rest", "bmbk-soap", "rsud-open311", "bapenda-pkb", "dinsos-email"):
        assert f"{instance}" in out and "NOT enabled" not in out
    assert "now in_progress  at dlh-prov" in out  # pushed back by the DLH app's webhook
    assert "now in_progress  at bmbk-prov" in out  # polled from the SOAP app
    assert "now redirected   at polresta-bandar-lampung" in out
    assert "'payment_status': 'unpaid'" in out  # the vehicle-tax service call
    assert "/publik" in out and "/docs" in out
    assert processes_using((tmp_path / "data" / "demo").resolve()) == []
