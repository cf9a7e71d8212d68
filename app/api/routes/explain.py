"""POST /clusters/{name}/explain: a request of any type run as /allocate would run it, deciding
nothing: the candidates of each instance placed or moved, and why the other nodes were not."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request

from app.api import examples
from app.api.body import read_document
from app.api.deps import ParamsQuery, PrincipalDep, ServiceDep
from app.api.errors import responses
from app.api.openapi import document_body
from app.api.reports import observe, policy_of
from app.api.schemas import ExplainPublic
from app.engine import DEFAULT_TOP
from app.service.answer import check_cluster
from app.service.jobs import ExplainJob
from app.service.upload import peek_cluster_name

router = APIRouter(prefix="/clusters", tags=["clusters"])
MAX_TOP = 50


@router.post(
    "/{name}/explain",
    responses=responses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504),
    openapi_extra=document_body(
        "An iallocator input document, as for POST /allocate (Content-Encoding: gzip accepted)",
        {
            "allocate": ("A new DRBD instance", examples.ALLOCATE_REQUEST),
            "node-evacuate": ("A new secondary for the instances of a node", examples.EVACUATE_REQUEST),
        },
    ),
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
    policy = await anyio.to_thread.run_sync(policy_of, service, name)
    received = await read_document(request, service.settings.max_body_bytes)
    check_cluster(peek_cluster_name(received.head) or "", name)
    job = ExplainJob(received.upload, name, list(params or []), policy.params, top)
    result = await service.runner.run(name, job)
    observe(service, "explain", name, result)
    return ExplainPublic.model_validate(result.body)
