"""POST /allocate: what the shim calls. Read, authorise, answer in the engine pool, record, reply.

The decision is stored before the answer leaves: if the store fails, the request fails (503).
If the cluster was removed while its request was answered, the answer is neither stored nor
sent (409 cluster_removed): the decision goes to the log (a WARNING) instead.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import IntegrityError

from app.api.body import HEAD_BYTES, Received, read_document
from app.api.deps import ParamsQuery, Principal, PrincipalDep, Service, ServiceDep
from app.api.errors import ApiError, ErrorLocation, responses
from app.api.examples import ALLOCATE_ANSWER, ALLOCATE_REQUEST
from app.core.logging import request_id_var
from app.protocol import IallocatorResponse
from app.service.jobs import Decided, DecideJob
from app.service.upload import peek_cluster_name
from app.store.clusters import ClusterPolicy, UnknownCluster, get_cluster, request_policy
from app.store.decisions import NewState, RequestContext, record_outcome

log = logging.getLogger(__name__)
router = APIRouter(tags=["allocate"])


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
        **responses(400, 401, 403, 409, 413, 415, 422, 429, 500, 503, 504),
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
    cluster = _cluster_of(principal, received)
    policy = principal.policy  # a cluster's token: read with it
    if policy is None:
        policy = await anyio.to_thread.run_sync(_policy, service, cluster, principal.admin)
    given = list(params or [])
    # The engine process checks the parsed document's cluster_name (it has the last word:
    # duplicate keys...) before the engine runs.
    job = DecideJob(
        service.answer, received.upload, cluster, given, policy.params, settings.document_max_bytes
    )
    result = await service.runner.run(cluster, job)
    latency_ms = (time.perf_counter() - started) * 1000
    decision_id = await anyio.to_thread.run_sync(_record, service, result, cluster, given, policy, latency_ms)
    _observe(service, result, cluster, latency_ms, decision_id)
    return Response(
        result.outcome.body, media_type="application/json", headers={"X-Iallocd-Decision-Id": decision_id}
    )


def _cluster_of(principal: Principal, received: Received) -> str:
    """The cluster the request is for: the token's, or (admin token) the one the document names
    in its first bytes, where Ganeti writes it."""
    name = peek_cluster_name(received.head)
    if principal.cluster is not None:
        if name:
            principal.check_cluster(name)
        return principal.cluster
    if not name:
        raise ApiError(
            400,
            "bad_document",
            [
                ErrorLocation(
                    loc="cluster_name",
                    msg=f"missing or empty, or past the document's first {HEAD_BYTES} bytes: the admin "
                    "token needs it there (Ganeti writes it first); or use the cluster's token",
                )
            ],
        )
    return name


def _policy(service: Service, cluster: str, admin: bool) -> ClusterPolicy:
    register = admin and service.settings.allow_unknown_clusters
    with service.sessions() as session:
        try:
            return request_policy(cluster, register_unknown=register, session=session)
        except UnknownCluster:
            raise ApiError(403, "forbidden", f"cluster {cluster!r} is not registered") from None


def _record(
    service: Service,
    result: Decided,
    cluster: str,
    params: list[str],
    policy: ClusterPolicy,
    latency_ms: float,
) -> str:
    outcome = result.outcome
    context = RequestContext(
        cluster=cluster,
        request_id=request_id_var.get() or "",
        params=params,
        defaults=policy.params,
        latency_ms=latency_ms,
        document_size=result.document_size,
        document=result.document,
    )
    with service.sessions() as session:
        new = NewState(outcome.summary.model_dump(), [list(p) for p in outcome.placements])
        try:
            return record_outcome(
                outcome.facts,
                context,
                new,
                keep_document=service.settings.store_documents,
                session=session,
            )
        except IntegrityError:  # the cluster's state row needs the cluster's row
            session.rollback()
            if get_cluster(cluster, session=session) is not None:
                raise
    facts = outcome.facts
    log.warning(
        "decision dropped: its cluster was removed",
        extra={
            "cluster": cluster,
            "request_type": facts.request_type,
            "success": facts.success,
            "instances": facts.instances,
            "nodes": facts.nodes,
        },
    )
    detail = f"cluster {cluster!r} was removed while this request was answered: the answer was neither"
    raise ApiError(409, "cluster_removed", detail + " recorded nor sent")


def _observe(service: Service, result: Decided, cluster: str, latency_ms: float, decision_id: str) -> None:
    metrics, facts = service.metrics, result.outcome.facts
    metrics.allocate_seconds.labels(request_type=facts.request_type, cluster=cluster).observe(
        latency_ms / 1000
    )
    metrics.engine_seconds.labels(request_type=facts.request_type).observe(facts.engine_seconds)
    if not facts.success:
        metrics.placement_failed(facts.info)
    log.info(
        "decision",
        extra={
            "cluster": cluster,
            "decision_id": decision_id,
            "request_type": facts.request_type,
            "success": facts.success,
            "nodes": facts.nodes,
            "latency_ms": round(latency_ms, 2),
        },
    )
