"""POST /clusters/{name}/balance: hbal's plan for the cluster (its kept state, or the document
sent with the call), read-only: per node group the moves, the scores and the jobs to run."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request

from app.api import examples
from app.api.body import read_document
from app.api.deps import ParamsQuery, PrincipalDep, ServiceDep
from app.api.errors import ApiError, responses
from app.api.openapi import document_body
from app.api.reports import last_state, observe, policy_of
from app.api.schemas import BalancePublic
from app.engine import BalanceOptions
from app.service.answer import check_cluster
from app.service.balance import Changes
from app.service.jobs import BalanceJob
from app.service.upload import peek_cluster_name

router = APIRouter(prefix="/clusters", tags=["clusters"])
SEND_DOCUMENT = "send the cluster's iallocator input document (JSON) as the body of this call"
Names = Annotated[list[str] | None, Query(description="Instance names (repeat the parameter)")]


@router.post(
    "/{name}/balance",
    responses=responses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504),
    openapi_extra=document_body(
        "Optional: an iallocator input document to plan on (its request, if any, is ignored); "
        "without a body, the cluster's kept state (its last document, decision applied)",
        {"cluster": ("A cluster", examples.ALLOCATE_REQUEST)},
        required=False,
    ),
)
async def balance(
    name: str,
    request: Request,
    principal: PrincipalDep,
    service: ServiceDep,
    params: ParamsQuery = None,
    max_length: Annotated[int, Query(ge=-1, description="hbal -l: at most this many moves (-1: any)")] = -1,
    min_gain: Annotated[float, Query(ge=0, description="hbal -g")] = 0.01,
    min_gain_limit: Annotated[float, Query(ge=0, description="hbal --min-gain-limit")] = 0.1,
    min_score: Annotated[float, Query(ge=0, description="hbal -e")] = 1e-9,
    no_disk_moves: bool = False,
    no_instance_moves: bool = False,
    restricted_migration: bool = False,
    evac_mode: Annotated[bool, Query(description="Only move instances of offline or drained nodes")] = False,
    ignore_soft_errors: bool = False,
    group: Annotated[str | None, Query(description="hbal -G: this group only (default: each)")] = None,
    select: Names = None,
    exclude: Names = None,
    offline: Annotated[list[str] | None, Query(description="hbal -O: nodes to take as offline")] = None,
    exclusion_tags: Annotated[list[str] | None, Query(description="hbal --exclusion-tags")] = None,
) -> BalancePublic:
    """hbal's balancing plan for the cluster, as `hbal -C` would compute it; nothing is run."""
    principal.check_cluster(name)
    policy = await anyio.to_thread.run_sync(policy_of, service, name)
    options = BalanceOptions(
        max_length, min_gain, min_gain_limit, min_score, not no_disk_moves, not no_instance_moves,
        restricted_migration, evac_mode, ignore_soft_errors, tuple(select or ()), tuple(exclude or ()), group,
    )  # fmt: skip
    budget = service.settings.request_timeout * 0.8  # a partial plan rather than a 504
    received = await read_document(request, service.settings.max_body_bytes)
    given = list(params or [])
    changes = Changes(tuple(exclusion_tags or ()), tuple(offline or ()))
    state_ref = None
    if received.upload.size:
        check_cluster(peek_cluster_name(received.head) or "", name)
        job = BalanceJob(options, given, policy.params, budget, received.upload, changes=changes)
    else:
        try:
            state = await anyio.to_thread.run_sync(last_state, service, name)
        except ApiError as exc:
            raise ApiError(exc.status, exc.code, f"{exc.detail}; {SEND_DOCUMENT}") from exc
        job = BalanceJob(
            options, given, state.policy.params, budget, state.document, state.placements, changes
        )
        state_ref = {"source": "kept", "decision_id": state.decision_id, "updated": state.updated}
    result = await service.runner.run(name, job)
    observe(service, "balance", name, result)
    return BalancePublic.model_validate(result.body | {"cluster": name, "state": state_ref})
