#!/usr/bin/env python3
"""Set up a virtual environment from the lock file, then run the hub or its checks.

    python3 dev.py demo      # the hub on embedded defaults with simulated OPD apps
    python3 dev.py up        # the hub on embedded defaults
    python3 dev.py test      # lint, type checks and the whole test suite
    python3 dev.py hub ...   # any `hub` command inside the environment

Needs only Python 3.11+ and pip. The environment is rebuilt when the lock file changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".lock-stamp"


def run(*argv: str | Path) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], cwd=ROOT)


def ensure_env() -> None:
    wanted = hashlib.sha256(
        (ROOT / "requirements.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run(*pip, "-r", ROOT / "requirements.lock") or run(*pip, "--no-deps", "-e", ROOT):
        sys.exit("error: installing the locked dependencies failed (see above)")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> int:
    steps = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
        [BIN / "python", "-m", "pytest", *extra],
    ]
    for step in steps:
        code = run(*step)
        if code:
            print(f"error: {Path(step[0]).name} failed with exit code {code}", file=sys.stderr)
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "test":
        return test(rest)
    if command == "hub":
        return run(BIN / "hub", *rest)
    if command in {"up", "demo"}:
        return run(BIN / "hub", command, *rest)
    print(f"error: unknown command {command!r}; try demo, up, test or hub", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
