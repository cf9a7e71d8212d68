"""Operator queries about clusters: the registry, the last known state, the decision history,
and questions to the engine that decide nothing: explain a request, count what still fits.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BeforeValidator

from app.api import examples
from app.api.body import read_document
from app.api.deps import PrincipalDep, Service, ServiceDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.pool import run_engine
from app.api.routes.allocate import ParamsQuery
from app.api.schemas import (
    CapacityPublic,
    CapacityRequest,
    ClusterDetailPublic,
    ClusterPublic,
    DecisionPublic,
    DecisionsPublic,
    ExplainPublic,
)
from app.core import worker
from app.engine import DEFAULT_LIMIT, DEFAULT_TOP
from app.store.clusters import ClusterPolicy, cluster_policy, count_clusters, get_cluster, list_clusters
from app.store.decisions import DecisionFilter, activity, list_decisions

log = logging.getLogger(__name__)
router = APIRouter(prefix="/clusters", tags=["clusters"])
MAX_TOP = 50
MAX_CLUSTERS = 1000  # per page of GET /clusters
# Seconds a capacity count may take (at most half the request timeout); past it the count
# is capped: on big clusters every placement is a full search.
CAPACITY_SECONDS = 2.0


@router.get(
    "",
    responses={
        200: {
            "headers": {"X-Total-Count": {"description": "Clusters in all", "schema": {"type": "integer"}}}
        },
        **responses(401, 422, 503),
    },
)
def read_clusters(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_CLUSTERS, description="At most this many (all by default)")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Skip this many first (clusters are by name)")] = 0,
) -> list[ClusterPublic]:
    """The registered clusters by name (a cluster token sees only its own)."""
    if principal.cluster is None:
        found = list_clusters(session=session, limit=limit, offset=offset)
        total = count_clusters(session=session)
    else:  # a cluster token: its own cluster only
        own = get_cluster(principal.cluster, session=session)
        mine = [own] if own is not None else []
        found, total = mine[offset:][:limit], len(mine)
    counts = activity(session=session, names=[c.name for c in found])
    response.headers["X-Total-Count"] = str(total)
    return [ClusterPublic.of(c, counts.get(c.name)) for c in found]


@router.get("/{name}", responses=responses(401, 403, 404, 503))
def read_cluster(name: str, principal: PrincipalDep, session: SessionDep) -> ClusterDetailPublic:
    """One cluster, with its state as of its last answered request."""
    principal.check_cluster(name)
    cluster = get_cluster(name, session=session)
    if cluster is None:
        raise ApiError(404, "not_found", f"no cluster {name!r}")
    return ClusterDetailPublic.detail(
        cluster, activity(session=session, names=[name]).get(name), cluster.state
    )


def _iso_only(value: object) -> object:
    # pydantic would also take a number as a Unix time; the API documents ISO 8601 only.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/{name}/decisions", responses=responses(401, 403, 422, 503))
def read_decisions(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    request_type: Annotated[
        str | None, Query(alias="type", description="allocate, relocate, change-group, ...")
    ] = None,
    instance: Annotated[str | None, Query(description="Decisions about this instance")] = None,
    since: Annotated[IsoTime | None, Query(description="Made at or after (ISO 8601; UTC if no zone)")] = None,
    until: Annotated[IsoTime | None, Query(description="Made before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62, description="decisions to skip")] = 0,
) -> DecisionsPublic:
    """The cluster's decisions, newest first (kept after the cluster is removed)."""
    principal.check_cluster(name)
    where = DecisionFilter(request_type, instance, _utc(since), _utc(until))
    items, total = list_decisions(name, where, session=session, limit=limit, offset=offset)
    return DecisionsPublic(
        items=[DecisionPublic.of(d) for d in items], total=total, limit=limit, offset=offset
    )


def _policy(service: Service, name: str) -> ClusterPolicy:
    with service.sessions() as session:
        cluster = get_cluster(name, session=session)
        if cluster is None:
            raise ApiError(404, "not_found", f"no cluster {name!r}")
        return cluster_policy(cluster)


def _check_document_cluster(named: str | None, name: str) -> None:
    # A document naming no cluster (Ganeti's own test inputs) is taken as the path's.
    if named and named != name:
        raise ApiError(403, "forbidden", f"the document is for {named!r}, not {name!r}")


def _observe(service: Service, what: str, name: str, result: worker.Reported) -> None:
    service.metrics.engine_seconds.labels(request_type=what).observe(result.engine_seconds)
    log.info(what, extra={"cluster": name, "engine_seconds": round(result.engine_seconds, 4)})


@router.post(
    "/{name}/explain",
    responses=responses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "An iallocator input document, as for POST /allocate (Content-Encoding: gzip "
            "accepted)",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/InputDocument"},
                    "example": examples.ALLOCATE_REQUEST,
                }
            },
        }
    },
)
async def explain(
    name: str,
    request: Request,
    principal: PrincipalDep,
    service: ServiceDep,
    params: ParamsQuery = None,
    top: Annotated[int, Query(ge=1, le=MAX_TOP, description="Candidates kept per instance")] = DEFAULT_TOP,
) -> ExplainPublic:
    """Run a request as POST /allocate would, without recording a decision, and say why."""
    principal.check_cluster(name)
    policy = await anyio.to_thread.run_sync(_policy, service, name)
    received = await read_document(request, service.settings.max_body_bytes)
    _check_document_cluster(worker.peek_cluster_name(received.head), name)
    given = list(params or [])
    result = await run_engine(
        service,
        name,
        worker.explain,
        worker.Afterwards(),
        received.upload,
        given,
        policy.params,
        top,
        size=received.upload.size,
    )
    _check_document_cluster(result.cluster_name, name)
    _observe(service, "explain", name, result)
    return ExplainPublic.model_validate(result.body)


@dataclass(frozen=True)
class _LastState:
    policy: ClusterPolicy
    decision_id: str
    updated: datetime
    document: bytes  # compressed (unpack_document)


def _last_state(service: Service, name: str) -> _LastState:
    with service.sessions() as session:
        cluster = get_cluster(name, session=session)
        if cluster is None:
            raise ApiError(404, "not_found", f"no cluster {name!r}")
        state = cluster.state
        if state is None:
            raise ApiError(404, "not_found", f"no known state of {name!r}: it has not sent a request yet")
        if state.document is None:
            raise ApiError(
                404,
                "not_found",
                f"the last document of {name!r} was not kept (larger than IALLOCD_DOCUMENT_MAX_BYTES)",
            )
        return _LastState(cluster_policy(cluster), state.decision_id, state.updated, state.document)


@router.post("/{name}/capacity", responses=responses(400, 401, 403, 404, 422, 429, 500, 503, 504))
async def capacity(
    name: str, body: CapacityRequest, principal: PrincipalDep, service: ServiceDep, params: ParamsQuery = None
) -> CapacityPublic:
    """How many more instances of a shape fit in the last known state, and what runs out (hspace)."""
    principal.check_cluster(name)
    state = await anyio.to_thread.run_sync(_last_state, service, name)
    limit = body.max or DEFAULT_LIMIT
    budget = min(CAPACITY_SECONDS, service.settings.request_timeout / 2)
    shape = body.instance.model_dump()
    given, defaults = list(params or []), state.policy.params
    result = await run_engine(
        service,
        name,
        worker.capacity,
        worker.Afterwards(),
        state.document,
        shape,
        given,
        defaults,
        limit,
        budget,
    )
    _observe(service, "capacity", name, result)
    where = {"decision_id": state.decision_id, "updated": state.updated}
    return CapacityPublic.model_validate(result.body | {"cluster": name, "state": where, "max": limit})
