"""Liveness, readiness (no authentication) and Prometheus metrics (a token if one is set)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import MetricsReaderDep, ServiceDep
from app.api.errors import responses
from app.api.schemas import StatusPublic
from app.store.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> StatusPublic:
    """The process answers (touches neither the database nor the engine)."""
    return StatusPublic(status="ok")


@router.get("/readyz", responses=responses(503))
def readyz(service: ServiceDep) -> StatusPublic:
    """The database answers."""
    ping(service.engine)
    return StatusPublic(status="ready")


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[MetricsReaderDep],
    responses={
        **responses(401),
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"example": 'iallocd_failures_total{reason="timeout"} 2.0\n'}},
        },
    },
)
def metrics(service: ServiceDep) -> Response:
    """Prometheus metrics; with IALLOCD_METRICS_TOKEN set, only for that bearer token (or the admin's)."""
    body, content_type = service.metrics.render()
    return Response(body, media_type=content_type)
