"""The FastAPI application: routers, error handlers, database and settings on app.state."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from auth.config import ADMIN_SCOPE
from auth.setup import build as build_sso
from hub import __version__, problems
from hub.access import TokenAuthenticator, require_scope
from hub.catalog.api import router as catalog_router
from hub.complaints.api import router as complaints_router
from hub.complaints.opd_api import router as opd_router
from hub.crypto import Vault, master_key
from hub.db import make_engine, make_sessionmaker, utcnow
from hub.delivery import api as delivery_api
from hub.delivery import relay
from hub.delivery import wiring as delivery
from hub.delivery.runtime import fernet_from_secret
from hub.delivery.tasks import BrokerSender
from hub.duplicates.api import router as duplicates_router
from hub.integrations.api import router as integrations_router
from hub.integrations.pool import ConnectorPool
from hub.integrations.resolver import InstanceResolver
from hub.notifications.api import router as notifications_router
from hub.open311.api import router as open311_router
from hub.ops import metrics
from hub.ops.api import router as ops_router
from hub.oversight.api import router as oversight_router
from hub.oversight.pages import router as oversight_pages
from hub.routing.api import router as routing_admin_router
from hub.routing.service import Triage, set_process_triage
from hub.settings import Settings, get_settings
from hub.sla import service as sla
from hub.sla.api import router as sla_router
from hub.sso import sso_config
from hub.triage.api import router as triage_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load (or train, the first time) the triage model now, not in the first request.
        threading.Thread(
            target=app.state.triage.classifier, name="triage-warmup", daemon=True
        ).start()
        yield
        await app.state.connector_pool.aclose()
        app.state.engine.dispose()  # close pooled connections instead of leaving them to GC

    app = FastAPI(
        lifespan=lifespan,
        title="Lampung-In Hub",
        version=__version__,
        description=(
            "Unified API of the Lampung-In integration hub: complaints (pengaduan), "
            "catalog, service calls and single sign-on. Errors are RFC 9457 problem+json."
        ),
    )
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.vault = Vault.from_settings(settings)
    app.state.triage = Triage(settings.data_dir)
    set_process_triage(app.state.triage)
    app.state.connector_pool = ConnectorPool(app.state.vault)
    app.state.clock = utcnow  # service levels read the time here (tests move it)
    app.state.overdue_counter = sla.make_overdue_counter(lambda: app.state.clock())
    problems.install(app)
    sso = build_sso(sso_config(settings), app.state.sessionmaker)
    sso.install(app)
    app.state.sso = sso
    authenticator = TokenAuthenticator(sso.verifier)
    app.state.authenticator = authenticator
    app.state.webhook_fernet = fernet_from_secret(master_key(settings))
    delivery.setup(
        factory=app.state.sessionmaker,
        resolver=InstanceResolver(
            app.state.sessionmaker, app.state.vault, verify_bearer=authenticator.verify
        ),
        fernet=app.state.webhook_fernet,
        public_url=settings.public_url,
    )
    relay.set_sender(BrokerSender(settings))
    app.middleware("http")(metrics.middleware)
    app.include_router(ops_router)
    app.include_router(complaints_router)
    app.include_router(catalog_router)
    app.include_router(integrations_router)
    app.include_router(
        delivery_api.admin_router(dependencies=[Depends(require_scope(ADMIN_SCOPE))]),
        prefix="/v1/admin",
    )
    app.include_router(delivery_api.webhook_router(), prefix="/v1")
    app.include_router(notifications_router)
    app.include_router(open311_router)
    app.include_router(oversight_router)
    app.include_router(oversight_pages)
    app.include_router(routing_admin_router)
    app.include_router(triage_router)
    app.include_router(opd_router)
    app.include_router(duplicates_router)
    app.include_router(sla_router)
    return app
