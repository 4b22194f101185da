"""Seeding and reading the catalog."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.catalog.models import Category, Institution


def _seed_file(name: str) -> list[dict[str, Any]]:
    text = resources.files("hub.routing").joinpath("data", name).read_text("utf-8")
    data: list[dict[str, Any]] = json.loads(text)
    return data


def seed(session: Session) -> tuple[int, int]:
    """Insert seed institutions and categories that are missing; never overwrite admin edits."""
    known_inst = set(session.scalars(select(Institution.code)))
    known_cat = set(session.scalars(select(Category.code)))
    added_inst = added_cat = 0
    for row in _seed_file("institutions.json"):
        if row["code"] not in known_inst:
            session.add(
                Institution(
                    code=row["code"],
                    name=row["name"],
                    level=row["level"],
                    kind=row.get("kind", ""),
                )
            )
            added_inst += 1
    for row in _seed_file("categories.json"):
        if row["code"] not in known_cat:
            session.add(
                Category(
                    code=row["code"],
                    name_id=row["name_id"],
                    name_en=row["name_en"],
                    default_level=row.get("default_level", ""),
                    keywords=row.get("examples_keywords", ""),
                )
            )
            added_cat += 1
    return added_inst, added_cat


def institutions(session: Session, *, level: str | None = None) -> list[Institution]:
    query = select(Institution).where(Institution.active).order_by(Institution.code)
    if level:
        query = query.where(Institution.level == level)
    return list(session.scalars(query))


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.active).order_by(Category.code)))


def category_exists(session: Session, code: str) -> bool:
    return session.get(Category, code) is not None


def institution_exists(session: Session, code: str) -> bool:
    return session.get(Institution, code) is not None
