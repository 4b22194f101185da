"""Alembic driven from code: `hub db upgrade` needs no alembic.ini on the server."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from hub.catalog import service as catalog
from hub.db import make_engine, transaction
from hub.sla.service import seed_holidays


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "hub:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations, then add any seed data that is missing."""
    command.upgrade(alembic_config(database_url), revision)
    engine = make_engine(database_url)
    try:
        with transaction(sessionmaker(engine, class_=Session)) as session:
            catalog.seed(session)
            seed_holidays(session)
    finally:
        engine.dispose()
