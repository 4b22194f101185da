"""FastAPI dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; handlers that write commit explicitly before they answer."""
    factory = request.app.state.sessionmaker
    with factory() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
