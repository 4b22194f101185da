"""docker-compose.yml cannot run here (no Docker engine), so it is checked statically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.main import get_command

from hub.cli import app
from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
HUB_SERVICES = ["migrate", "api", "worker", "beat"]


def test_the_deployment_has_every_role_with_health_checks() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", *HUB_SERVICES}
    for name in ("postgres", "redis", "api"):
        assert "healthcheck" in services[name], name


@pytest.mark.parametrize("service", HUB_SERVICES)
def test_every_service_command_is_a_real_hub_subcommand(service: str) -> None:
    argv = COMPOSE["services"][service]["command"]
    assert argv[0] == "hub"
    command = get_command(app)
    ctx = command.make_context("hub", list(argv[1:]), resilient_parsing=False)
    sub = command
    args = list(argv[1:])
    while args and isinstance(sub, typer.core.TyperGroup):
        name = args.pop(0)
        sub = sub.get_command(ctx, name)  # type: ignore[assignment]
        assert sub is not None, f"{service}: unknown subcommand {name!r}"
    sub.make_context(service, args)  # raises on unknown options


def test_every_referenced_variable_is_a_real_setting() -> None:
    fields = {f"HUB_{name.upper()}" for name in Settings.model_fields}
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\b(HUB_[A-Z_]+)\b", text))
    assert used, "the compose file sets no hub settings"
    assert used <= fields, f"unknown settings: {sorted(used - fields)}"
