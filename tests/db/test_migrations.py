"""Migrations build the whole schema from an empty database, and match the models exactly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.db import make_engine
from hub.models import all_metadata


def test_migrations_upgrade_an_empty_database_to_the_models(database_url: str) -> None:
    engine = make_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), list(all_metadata))
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"
    assert {name for m in all_metadata for name in m.tables} <= tables


def test_upgrade_seeds_the_catalog_once(database_url: str) -> None:
    from hub.migrate import upgrade

    upgrade(database_url)  # a second run changes nothing
    engine = make_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        institutions = conn.scalar(sa.text("SELECT count(*) FROM institutions"))
        categories = conn.scalar(sa.text("SELECT count(*) FROM categories"))
    engine.dispose()
    assert (institutions, categories) == (66, 15)
