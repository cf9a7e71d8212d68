"""Builds the FastAPI app. Nothing is opened at import: the lifespan migrates the database and starts
the engine pool; `app.serve` runs it under uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from importlib.metadata import version

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import make_url

from app.api.console import install_console
from app.api.deps import Service
from app.api.errors import install_error_handlers
from app.api.main import api_router
from app.api.middleware import RequestContextMiddleware
from app.api.openapi import install_openapi
from app.core.config import Settings, get_settings
from app.core.metrics import Metrics
from app.core.ratelimit import FailureLimiter
from app.service.answer import AnswerFn, answer as engine_answer
from app.service.pool import EnginePool
from app.service.runner import EngineRunner
from app.store.db import create_db_engine, migrate, session_factory
from app.store.models import utcnow
from app.store.retention import Purged, purge_expired

log = logging.getLogger(__name__)
PURGE_EVERY = 3600.0

DESCRIPTION = """\
An iallocator for Ganeti clusters, shared by many clusters. Ganeti reaches `POST /allocate` through
the `iallocd` shim; operators query clusters and the decision history. Authenticate with
`Authorization: Bearer <token>`: a cluster's token, or the admin token. Errors are JSON
`{"error": code, "detail": ...}`.
"""


def _purge(service: Service) -> Purged | None:
    """Kept documents, then decisions, past their retention periods; None: another replica's turn."""
    settings = service.settings
    return purge_expired(
        service.engine,
        service.sessions,
        document_days=settings.document_retention_days,
        decision_days=settings.decision_retention_days,
        now=utcnow(),
    )


async def _purge_forever(service: Service) -> None:
    """Drop kept documents and decisions past their retention periods, at start and then hourly."""
    settings = service.settings
    while settings.document_retention_days or settings.decision_retention_days:
        try:
            purged = await anyio.to_thread.run_sync(_purge, service)
            if purged is None:
                log.info("purge skipped: another replica is purging")
            elif purged.documents or purged.decisions:
                log.info("purged %d kept documents and %d decisions", *purged)
        except Exception:
            log.exception("purge of old documents and decisions failed")
        await asyncio.sleep(PURGE_EVERY)


def create_app(settings: Settings | None = None, *, answer: AnswerFn | None = None) -> FastAPI:
    """The service. `answer` replaces app.service.answer.answer (tests); it must be a module-level
    function, since it runs in the engine processes."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        answer_fn = answer or engine_answer
        engine = create_db_engine(settings.database_url)
        try:
            await anyio.to_thread.run_sync(migrate, engine)
        except Exception as exc:
            where = make_url(settings.database_url).render_as_string(hide_password=True)
            log.error("cannot open the database %s: %s", where, exc)
            raise
        pool = EnginePool(
            settings.engine_workers,
            settings.cluster_concurrency,
            settings.cluster_queue,
            answer_fn.__module__,
            settings.small_request_bytes,
            settings.engine_niceness,
            settings.state_cache_bytes,
        )
        try:
            await pool.start()
        except BrokenProcessPool as exc:
            log.error("the engine processes cannot start: %s", exc)
            raise
        runner = EngineRunner(pool, settings.request_timeout)
        limiter = FailureLimiter(settings.auth_failures_per_minute, settings.auth_failure_addresses)
        service = Service(settings, metrics, engine, session_factory(engine), runner, answer_fn, limiter)
        app.state.service = service
        purger = asyncio.create_task(_purge_forever(service))
        try:
            yield
        finally:
            purger.cancel()
            await runner.pool.close()
            engine.dispose()

    app = FastAPI(
        title="iallocd",
        version=version("iallocd"),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by app/api/routes/docs.py, with local assets
        redoc_url=None,
    )
    app.state.metrics = metrics
    install_error_handlers(app)
    install_console(app, settings)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(api_router)
    install_openapi(app)
    return app
