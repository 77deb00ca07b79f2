"""The REST API application: :func:`create_app` builds it on a store, settings and a way to reach the engine.

Reads come straight from the store; writes (launch and the process commands) are requests to the engine,
answered once it has applied them, as with the ``boss`` commands (only the engine writes process state).
The dashboard's pages (:mod:`engine.api.web`) are mounted here too, outside ``/api``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI

from engine.api import auth, errors, web
from engine.api.context import ApiContext, EngineClientFactory
from engine.api.metrics import Metrics, dead_letter_count
from engine.api.pools import ClusterFactory
from engine.api.routes import approvals, definitions, participants, processes, system
from engine.config import Settings
from engine.language import Library
from engine.store import Store
from engine.transport.client import EngineClient

if TYPE_CHECKING:
    from skynet.agent.client import ClusterClient

DESCRIPTION = """The REST API of boss: processes, definitions, participants, pools, approvals, live events.

Send `Authorization: Bearer TOKEN` with every request but `GET /api/health`. Read-only tokens may use
every `GET`; launching, process commands and pool control need an operator token. Errors are
`{"error": {"code", "message", "detail"?}}`. See docs/api.md.
"""


def create_app(settings: Settings, store: Store, engine_client_factory: EngineClientFactory | None = None, *,
               cluster_client_factory: ClusterFactory | None = None, library: Library | None = None,
               tokens: auth.Tokens | None = None, poll_interval: float = 0.5) -> FastAPI:
    """The API app.

    Args:
        settings: the boss settings (tokens, broker, process path, heartbeat timeout, signing key).
        store: the store to read (the app does not close it).
        engine_client_factory: opens a connection for requests to the engine; by default an
            :class:`EngineClient` on ``settings.amqp_url``.
        cluster_client_factory: opens a connection to the pool agents; by default a
            :class:`skynet.agent.ClusterClient` on ``settings.amqp_url``.
        library: where definitions are found; by default ``settings.process_path``.
        tokens: the accepted tokens; by default those of ``settings`` (:func:`engine.api.auth.load_tokens`).
        poll_interval: how often event streams look for new records, in seconds.

    Raises:
        ConfigError: a named token cannot be read.
    """
    app = FastAPI(title="boss", description=DESCRIPTION, version="1", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.boss = ApiContext(
        settings=settings, store=store, library=library or Library(settings.process_path),
        engine_client=engine_client_factory or _engine_client(settings),
        cluster_client=cluster_client_factory or _cluster_client(settings),
        metrics=Metrics(store, settings.heartbeat_timeout, lambda: dead_letter_count(settings.amqp_url),
                        lambda: datetime.now(UTC)),
        poll_interval=poll_interval)
    errors.install(app)
    for module in (processes, approvals, definitions, participants, system):
        app.include_router(module.router)
    accepted = tokens if tokens is not None else auth.load_tokens(settings)
    app.add_middleware(auth.BearerAuth, tokens=accepted)
    web.mount(app, accepted)  # the dashboard's pages at /, its login and static files (outermost layer)
    return app


def _engine_client(settings: Settings) -> EngineClientFactory:
    def connect() -> EngineClient:
        return EngineClient(settings.amqp_url, settings.request_timeout, signing_key=settings.signing_key)

    return connect


def _cluster_client(settings: Settings) -> ClusterFactory:
    def connect() -> ClusterClient:
        from skynet.agent.client import ClusterClient

        return ClusterClient(settings.amqp_url, signing_key=settings.signing_key)

    return connect
