"""The embedded broker (`hub up`, `hub demo`): kombu's SQLAlchemy transport on a SQLite file.

kombu polls it once a second by default, which caps an embedded worker at about one task per
second per poll; a tenth of a second keeps the demo's deliveries prompt at the cost of a few
cheap SQLite queries. The transport hands every broker option to `create_engine()`, so the
interval is a class attribute here rather than a `broker_transport_options` entry.
"""

from __future__ import annotations

from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

PREFIX = "sqla+"


class Transport(SQLAlchemyTransport):
    polling_interval = 0.1


def celery_url(url: str) -> tuple[str, str | None]:
    """(broker URL, transport) for Celery: our transport for the embedded broker."""
    if url.startswith(PREFIX):
        return url.removeprefix(PREFIX), f"{__name__}:Transport"
    return url, None
