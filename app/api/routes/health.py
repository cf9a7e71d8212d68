"""Liveness, readiness and Prometheus metrics (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import ServiceDep
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
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"example": 'iallocd_failures_total{reason="timeout"} 2.0\n'}},
        }
    },
)
def metrics(service: ServiceDep) -> Response:
    """Prometheus metrics."""
    body, content_type = service.metrics.render()
    return Response(body, media_type=content_type)
