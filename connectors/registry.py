"""Connector types are found through the entry-point group `hub.connectors`.

Built-ins are registered the same way (in the hub's own pyproject), so a connector shipped by an
OPD developer as its own package is a first-class citizen:

    [project.entry-points."hub.connectors"]
    dlh_sampah = "dlh_connector:DlhConnector"

A plugin that fails to import (or is not a valid connector) is recorded as *broken* with its error
and listed; it never stops the hub from starting.
"""

from __future__ import annotations

import difflib
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import httpx

from connectors.base import Connector
from connectors.config import check_schema, validate_config
from connectors.errors import ConfigError
from connectors.minimise import unknown_fields

__all__ = [
    "GROUP",
    "BrokenPlugin",
    "ConnectorInfo",
    "Registry",
    "UnknownConnector",
    "create",
    "default_registry",
    "get",
    "load",
]

GROUP = "hub.connectors"


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded, and why (shown by `hub connectors list`)."""

    name: str
    target: str  # "module:attr" as declared
    distribution: str | None
    error: str
    traceback: str


@dataclass(frozen=True)
class ConnectorInfo:
    """What a listing shows about one connector type."""

    name: str
    version: str
    description: str
    distribution: str | None
    target: str
    supports: tuple[str, ...]
    operations: tuple[str, ...]


class UnknownConnector(LookupError):
    def __init__(self, name: str, known: Iterable[str], broken: BrokenPlugin | None = None):
        self.name = name
        known = sorted(known)
        if broken is not None:
            message = f"connector {name!r} is installed but broken: {broken.error}"
        else:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            message = f"unknown connector {name!r}"
            if close:
                message += f"; did you mean {' or '.join(repr(c) for c in close)}?"
            message += f" (installed: {', '.join(known) or 'none'})"
        super().__init__(message)
        self.suggestions = difflib.get_close_matches(name, known, n=3, cutoff=0.6)

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


_CAPABILITIES = ("deliver", "parse_webhook", "fetch_updates", "check", "call")


def _validate_type(name: str, obj: object) -> type[Connector]:
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise TypeError(f"{obj!r} is not a subclass of connectors.Connector")
    declared = getattr(obj, "name", None)
    if declared != name:
        raise TypeError(f"entry point {name!r} loads a connector named {declared!r}")
    check_schema(obj.config_schema)
    if obj.fields_needed is not None:
        bad = unknown_fields(obj.fields_needed)
        if bad:
            raise ConfigError(f"fields_needed names unknown complaint fields: {', '.join(bad)}")
    return obj


class Registry:
    """The connector types installed in this environment, loaded once."""

    def __init__(self, eps: Iterable[EntryPoint]) -> None:
        self._types: dict[str, type[Connector]] = {}
        self._info: dict[str, ConnectorInfo] = {}
        self._broken: dict[str, BrokenPlugin] = {}
        for ep in sorted(eps, key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else None
            if ep.name in self._types or ep.name in self._broken:
                self._broken[ep.name] = BrokenPlugin(
                    ep.name, ep.value, dist, "two packages register this name", ""
                )
                self._types.pop(ep.name, None)
                continue
            try:
                cls = _validate_type(ep.name, ep.load())
            except Exception as exc:  # a broken plugin must never stop the hub
                self._broken[ep.name] = BrokenPlugin(
                    ep.name,
                    ep.value,
                    dist,
                    f"{type(exc).__name__}: {exc}",
                    traceback.format_exc(limit=5),
                )
                continue
            self._types[ep.name] = cls
            self._info[ep.name] = ConnectorInfo(
                name=ep.name,
                version=cls.version,
                description=cls.description,
                distribution=dist,
                target=ep.value,
                supports=tuple(m for m in _CAPABILITIES if cls.supports(m)),
                operations=tuple(sorted(cls.operations)),
            )

    def get(self, name: str) -> type[Connector]:
        """The connector type called `name`; UnknownConnector says "did you mean" otherwise."""
        try:
            return self._types[name]
        except KeyError:
            raise UnknownConnector(name, self._types, self._broken.get(name)) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def describe(self) -> list[ConnectorInfo]:
        """Every loadable connector type, sorted by name."""
        return [self._info[n] for n in sorted(self._info)]

    def broken(self) -> list[BrokenPlugin]:
        return [self._broken[n] for n in sorted(self._broken)]


def load(group: str = GROUP) -> Registry:
    """A fresh registry from the entry points installed now (e.g. after a pip install)."""
    return Registry(entry_points(group=group))


@cache
def default_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    return load()


def get(name: str) -> type[Connector]:
    return default_registry().get(name)


def create(
    name: str,
    config: Mapping[str, Any],
    client: httpx.AsyncClient | None = None,
    *,
    registry: Registry | None = None,
) -> Connector:
    """A ready connector instance: type looked up, config validated (ConfigError lists all)."""
    cls = (registry or default_registry()).get(name)
    validate_config(config, cls.config_schema)
    return cls(config, client)
