"""Counts the chaos tests report; the root conftest prints them at the end of every run."""

from __future__ import annotations

LINES: list[str] = []


def report(line: str) -> None:
    LINES.append(line.strip())
