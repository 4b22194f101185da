"""`scaffold` writes a connector package whose own tests pass and which pip can install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import registry
from connectors.scaffold import ScaffoldError, scaffold


def test_the_package_layout(tmp_path: Path) -> None:
    root = scaffold("bank_sampah", tmp_path)
    assert root == tmp_path / "hub-connector-bank-sampah"
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == {
        "pyproject.toml",
        "README.md",
        "hub_connector_bank_sampah/__init__.py",
        "hub_connector_bank_sampah/connector.py",
        "tests/test_contract.py",
    }
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."hub.connectors"]' in pyproject
    assert 'bank_sampah = "hub_connector_bank_sampah.connector:BankSampahConnector"' in pyproject


@pytest.mark.parametrize("name", ["", "X", "Bank", "bank-sampah", "1bank", "a" * 65, "a b"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="lower_snake_case"):
        scaffold(name, tmp_path)


def test_an_existing_package_is_never_overwritten(tmp_path: Path) -> None:
    scaffold("dinsos", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("dinsos", tmp_path)


@pytest.mark.slow
def test_the_generated_tests_pass(tmp_path: Path) -> None:
    root = scaffold("bank_sampah", tmp_path)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.slow
def test_a_pip_installed_package_appears_in_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scaffold("pupr_kota", tmp_path / "src")
    site = tmp_path / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.syspath_prepend(str(site))
    reg = registry.load()
    assert "pupr_kota" in reg.names()
    info = {i.name: i for i in reg.describe()}["pupr_kota"]
    assert info.distribution == "hub-connector-pupr-kota"
    assert info.supports == ("deliver", "fetch_updates", "check")
    assert reg.get("pupr_kota").__module__ == "hub_connector_pupr_kota.connector"
