"""POST /allocate: what the shim calls. Read, authorise, answer in the engine pool, record, reply.

The decision is stored before the answer leaves: if the store fails, the request fails (503).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import StringConstraints

from app.api.body import Received, read_document
from app.api.deps import Principal, PrincipalDep, Service, ServiceDep
from app.api.errors import ApiError, responses
from app.api.examples import ALLOCATE_ANSWER, ALLOCATE_REQUEST
from app.api.pool import rejection, run_engine
from app.core.logging import request_id_var
from app.core.worker import (
    Afterwards,
    Decided,
    Rejected,
    decide,
    peek_cluster_name,
    read_cluster_name,
)
from app.protocol import IallocatorResponse
from app.store.clusters import PARAM_PATTERN, ClusterPolicy, cluster_policy, ensure_cluster, get_cluster
from app.store.decisions import record_decision
from app.store.models import ClusterState, Decision, DecisionInstance, utcnow

log = logging.getLogger(__name__)
router = APIRouter(tags=["allocate"])

ParamsQuery = Annotated[
    list[Annotated[str, StringConstraints(pattern=PARAM_PATTERN)]] | None,
    Query(
        alias="param",
        description="The parameters Ganeti passed to the shim, one per `param` (request wins over policy)",
        examples=[["--ignore-soft-errors", "--restrict-allocation-to=node1,node2"]],
    ),
]


@router.post(
    "/allocate",
    response_class=Response,
    responses={
        200: {
            "model": IallocatorResponse,
            "description": "The iallocator answer, byte for byte; `success: false` when no placement fits",
            "content": {"application/json": {"example": ALLOCATE_ANSWER}},
            "headers": {
                "X-Iallocd-Decision-Id": {
                    "description": "Id of the recorded decision",
                    "schema": {"type": "string"},
                },
            },
        },
        **responses(400, 401, 403, 413, 415, 422, 429, 500, 503, 504),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The iallocator input document Ganeti wrote (Content-Encoding: gzip accepted)",
            "content": {"application/json": {"schema": {"type": "object"}, "example": ALLOCATE_REQUEST}},
            # The schema is replaced by the protocol's InputDocument in app.api.openapi.
        }
    },
)
async def allocate(
    request: Request, principal: PrincipalDep, service: ServiceDep, params: ParamsQuery = None
) -> Response:
    """Answer one iallocator request for the token's cluster and record the decision."""
    started = time.perf_counter()
    settings = service.settings
    received = await read_document(request, settings.max_body_bytes)
    cluster = await _cluster_of(principal, received)
    policy = await anyio.to_thread.run_sync(_policy, service, cluster)
    given = list(params or [])
    result = await run_engine(
        service,
        cluster,
        decide,
        service.answer,
        Afterwards(),
        received.upload,
        given,
        policy.params,
        settings.document_max_bytes,
        size=received.upload.size,
    )
    # The parsed document has the last word (duplicate keys...). A document naming no cluster
    # (Ganeti's own test inputs) is taken as the token's.
    named = result.outcome.cluster_name
    if named and named != cluster:
        raise ApiError(403, "forbidden", f"the document is for {named!r}, not {cluster!r}")
    latency_ms = (time.perf_counter() - started) * 1000
    decision_id = await anyio.to_thread.run_sync(_record, service, result, cluster, given, policy, latency_ms)
    _observe(service, result, cluster, latency_ms, decision_id)
    return Response(
        result.outcome.body, media_type="application/json", headers={"X-Iallocd-Decision-Id": decision_id}
    )


async def _cluster_of(principal: Principal, received: Received) -> str:
    """The cluster the request is for: the token's, or (admin token) the document's, which must name one."""
    name = peek_cluster_name(received.head)
    if principal.cluster is not None:
        if name:
            principal.check_cluster(name)
        return principal.cluster
    if not name:
        read = await anyio.to_thread.run_sync(read_cluster_name, received.upload)
        if isinstance(read, Rejected):
            raise rejection(read)
        name = read
    return name


def _policy(service: Service, cluster: str) -> ClusterPolicy:
    with service.sessions() as session:
        found = get_cluster(cluster, session=session)
        if found is not None:
            return cluster_policy(found)
        if not service.settings.allow_unknown_clusters:
            raise ApiError(403, "forbidden", f"cluster {cluster!r} is not registered")
        ensure_cluster(cluster, session=session)
        return ClusterPolicy()


def _record(
    service: Service,
    result: Decided,
    cluster: str,
    params: list[str],
    policy: ClusterPolicy,
    latency_ms: float,
) -> str:
    now, outcome = utcnow(), result.outcome
    decision = Decision(
        id=uuid.uuid4().hex,
        created=now,
        cluster=cluster,
        request_id=request_id_var.get() or "",
        request_type=outcome.request_type,
        success=outcome.success,
        info=outcome.info,
        nodes=outcome.nodes,
        params=params,
        defaults=policy.params,
        warnings=outcome.warnings,
        score_before=outcome.score_before,
        score_after=outcome.score_after,
        engine_version=outcome.engine_version,
        latency_ms=latency_ms,
        engine_seconds=outcome.engine_seconds,
        document_sha256=outcome.document_sha256,
        document_size=result.document_size,
        document=result.document if service.settings.store_documents else None,
        instances=[DecisionInstance(position=i, name=name) for i, name in enumerate(outcome.instances)],
    )
    state = ClusterState(
        cluster_name=cluster,
        updated=now,
        decision_id=decision.id,
        summary=outcome.summary.model_dump(),
        score_before=outcome.score_before,
        score_after=outcome.score_after,
        document=result.document,
    )
    with service.sessions() as session:
        record_decision(decision, state, session=session)
    return decision.id


def _observe(service: Service, result: Decided, cluster: str, latency_ms: float, decision_id: str) -> None:
    metrics, outcome = service.metrics, result.outcome
    metrics.allocate_seconds.labels(request_type=outcome.request_type, cluster=cluster).observe(
        latency_ms / 1000
    )
    metrics.engine_seconds.labels(request_type=outcome.request_type).observe(outcome.engine_seconds)
    if not outcome.success:
        metrics.placement_failed(outcome.info)
    log.info(
        "decision",
        extra={
            "cluster": cluster,
            "decision_id": decision_id,
            "request_type": outcome.request_type,
            "success": outcome.success,
            "nodes": outcome.nodes,
            "latency_ms": round(latency_ms, 2),
        },
    )
