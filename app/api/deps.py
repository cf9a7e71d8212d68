"""Route dependencies: the running service's parts, a database session, who is calling, and the
iallocator parameters of a request.

Callers authenticate with a bearer token: the admin token (IALLOCD_ADMIN_TOKEN) sees everything,
a cluster's token only that cluster. A client address that fails to authenticate too often is
refused (429) for a while, whatever it presents (app.core.ratelimit).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import StringConstraints
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api.errors import ApiError, unauthorized
from app.core.config import Settings
from app.core.metrics import Metrics
from app.core.ratelimit import FailureLimiter
from app.core.security import matches_token
from app.service.answer import AnswerFn
from app.service.cache import Recent
from app.service.runner import EngineRunner
from app.store.clusters import PARAM_PATTERN, ClusterPolicy, cluster_policy, token_cluster


@dataclass
class Service:
    """What the lifespan opens; routes reach it through ServiceDep."""

    settings: Settings
    metrics: Metrics
    engine: Engine
    sessions: sessionmaker[Session]
    runner: EngineRunner
    answer: AnswerFn  # what a decide job answers with
    auth_limiter: FailureLimiter
    reports: Recent[Any] = field(default_factory=Recent)  # engine reports on kept states, by question


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
    # the cluster's policy as read with its token (None: the admin); saves POST /allocate a query
    policy: ClusterPolicy | None = field(default=None, compare=False)

    @property
    def admin(self) -> bool:
        return self.cluster is None

    def may_see(self, name: str) -> bool:
        """Whether the caller may see and act for cluster `name` (the admin: every cluster)."""
        return self.admin or self.cluster == name

    def check_cluster(self, name: str) -> None:
        """403 unless the caller may act for cluster `name`."""
        if not self.may_see(name):
            raise ApiError(403, "forbidden", f"this token belongs to cluster {self.cluster!r}, not {name!r}")


def client_address(request: Request) -> str:
    """The client's address as uvicorn reports it: the peer's, or behind a proxy uvicorn trusts
    (--forwarded-allow-ips, FORWARDED_ALLOW_IPS), the one X-Forwarded-For names."""
    return request.client.host if request.client else "unknown"


def refuse_if_limited(service: Service, address: str) -> None:
    """429 (with Retry-After) if `address` has failed to authenticate too often lately."""
    wait = service.auth_limiter.retry_after(address)
    if wait is not None:
        service.metrics.auth_refused.inc()
        seconds = str(math.ceil(wait))
        detail = f"too many failed authentications from {address}; retry in {seconds} s"
        raise ApiError(429, "rate_limited", detail, **{"Retry-After": seconds})


def auth_failed(service: Service, address: str, detail: str) -> ApiError:
    """Count a failed authentication from `address`; the 401 to raise."""
    service.auth_limiter.failed(address)
    service.metrics.auth_failures.inc()
    return unauthorized(detail)


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    service: ServiceDep,
) -> Principal:
    address = client_address(request)
    refuse_if_limited(service, address)
    if credentials is None:
        raise auth_failed(service, address, "an Authorization: Bearer <token> header is required")
    token = credentials.credentials
    if matches_token(token, service.settings.admin_token):
        return Principal(None)
    # A session of its own: POST /allocate must not hold a connection while the engine runs.
    with service.sessions() as session:
        cluster = token_cluster(token, session=session)
        if cluster is None:
            raise auth_failed(service, address, "unknown token")
        return Principal(cluster.name, cluster_policy(cluster))


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
    address = client_address(request)
    refuse_if_limited(service, address)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise auth_failed(service, address, "an Authorization: Bearer <token> header is required")
    if not (matches_token(token, settings.metrics_token) or matches_token(token, settings.admin_token)):
        raise auth_failed(service, address, "unknown token")


MetricsReaderDep = Depends(check_metrics_reader)

ParamsQuery = Annotated[
    list[Annotated[str, StringConstraints(pattern=PARAM_PATTERN)]] | None,
    Query(
        alias="param",
        description="The parameters Ganeti passed to the shim, one per `param` (request wins over policy)",
        examples=[["--ignore-soft-errors", "--restrict-allocation-to=node1,node2"]],
    ),
]
