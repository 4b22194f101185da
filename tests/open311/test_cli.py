"""`hub open311 create-key | list-keys | revoke-key` (typer sub-app hub.open311.cli.app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.cli import app as hub_cli
from hub.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_key_is_printed_once_listed_by_prefix_and_revocable(
    cli_env: None, app: FastAPI, client: TestClient
) -> None:
    created = runner.invoke(hub_cli, ["open311", "create-key", "Aplikasi Warga Metro"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[1]
    assert key.startswith("o311_")

    form = {
        "api_key": key,
        "service_code": "air_bersih",
        "address_string": "Metro Pusat",
        "description": "Air PDAM mati tiga hari di Metro Pusat.",
    }
    assert client.post("/open311/v2/requests.json", data=form).status_code == 200

    listed = runner.invoke(hub_cli, ["open311", "list-keys"])
    assert listed.exit_code == 0
    assert "Aplikasi Warga Metro\topen311\tactive" in listed.stdout
    assert key not in listed.stdout and key[:12] in listed.stdout

    key_id = listed.stdout.split("\t", 1)[0]
    assert runner.invoke(hub_cli, ["open311", "revoke-key", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(hub_cli, ["open311", "list-keys"]).stdout
    assert client.post("/open311/v2/requests.json", data=form).status_code == 403


def test_bad_input_is_one_clear_error(cli_env: None, app: FastAPI) -> None:
    blank = runner.invoke(hub_cli, ["open311", "create-key", "  "])
    assert blank.exit_code == 2 and "needs a name" in blank.output
    channel = runner.invoke(hub_cli, ["open311", "create-key", "X", "--channel", "pigeon"])
    assert channel.exit_code == 2 and "unknown channel 'pigeon'" in channel.output
    missing = runner.invoke(hub_cli, ["open311", "revoke-key", "999"])
    assert missing.exit_code == 2 and "no key 999" in missing.output
