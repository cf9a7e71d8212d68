"""Route dependencies: the running service's parts, a database session, and who is calling.

Callers authenticate with a bearer token: the admin token (IALLOCD_ADMIN_TOKEN) sees everything,
a cluster's token only that cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api.errors import ApiError, unauthorized
from app.core.config import Settings
from app.core.engine_pool import EnginePool
from app.core.metrics import Metrics
from app.core.security import matches_token
from app.core.worker import AnswerFn
from app.store.clusters import cluster_for_token


@dataclass
class Service:
    """What the lifespan opens; routes reach it through ServiceDep."""

    settings: Settings
    metrics: Metrics
    engine: Engine
    sessions: sessionmaker[Session]
    pool: EnginePool
    answer: AnswerFn


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_session(service: ServiceDep) -> Iterator[Session]:
    with service.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

bearer = HTTPBearer(
    auto_error=False,
    description="The admin token, or a cluster's token (`python -m app.cli cluster add NAME` prints one)",
)


@dataclass(frozen=True)
class Principal:
    """The caller: the admin (`cluster` None) or one cluster."""

    cluster: str | None

    @property
    def admin(self) -> bool:
        return self.cluster is None

    def check_cluster(self, name: str) -> None:
        """403 unless the caller may act for cluster `name`."""
        if not self.admin and self.cluster != name:
            raise ApiError(403, "forbidden", f"this token belongs to cluster {self.cluster!r}, not {name!r}")


def get_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], service: ServiceDep
) -> Principal:
    if credentials is None:
        raise unauthorized("an Authorization: Bearer <token> header is required")
    token = credentials.credentials
    if matches_token(token, service.settings.admin_token):
        return Principal(None)
    # A session of its own: POST /allocate must not hold a connection while the engine runs.
    with service.sessions() as session:
        cluster = cluster_for_token(token, session=session)
    if cluster is None:
        raise unauthorized("unknown token")
    return Principal(cluster)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(principal: PrincipalDep, service: ServiceDep) -> Principal:
    if service.settings.admin_token is None:
        raise ApiError(403, "forbidden", "the admin API is disabled: IALLOCD_ADMIN_TOKEN is not set")
    if not principal.admin:
        raise ApiError(403, "forbidden", "this needs the admin token")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def check_metrics_reader(request: Request, service: ServiceDep) -> None:
    """With IALLOCD_METRICS_TOKEN set, /metrics needs it (or the admin token); else it is open.
    The header is read by hand: the OpenAPI document must not call an open /metrics secured."""
    settings = service.settings
    if settings.metrics_token is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("an Authorization: Bearer <token> header is required")
    if not (matches_token(token, settings.metrics_token) or matches_token(token, settings.admin_token)):
        raise unauthorized("unknown token")


MetricsReaderDep = Depends(check_metrics_reader)
