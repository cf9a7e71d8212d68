"""POST /clusters/{name}/capacity: how many more instances of a shape fit (hspace), on the
cluster's last known state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from fastapi import APIRouter

from app.api.deps import ParamsQuery, PrincipalDep, Service, ServiceDep
from app.api.errors import ApiError, responses
from app.api.reports import count_budget, observe
from app.api.schemas import CapacityPublic, CapacityRequest
from app.engine import DEFAULT_LIMIT, Placement
from app.service.jobs import CapacityJob, InstanceProbe
from app.store.clusters import ClusterPolicy, cluster_policy, get_cluster

router = APIRouter(prefix="/clusters", tags=["clusters"])


@dataclass(frozen=True)
class _LastState:
    policy: ClusterPolicy
    decision_id: str
    updated: datetime
    document: bytes  # compressed (unpack_document)
    placements: tuple[Placement, ...]  # of its decision


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
                f"the last document of {name!r} was not kept (IALLOCD_STORE_DOCUMENTS is off, or it was "
                "larger than IALLOCD_DOCUMENT_MAX_BYTES)",
            )
        done = tuple((str(i), list(nodes)) for i, nodes in state.placements or ())
        return _LastState(cluster_policy(cluster), state.decision_id, state.updated, state.document, done)


@router.post("/{name}/capacity", responses=responses(400, 401, 403, 404, 422, 429, 500, 503, 504))
async def capacity(
    name: str, body: CapacityRequest, principal: PrincipalDep, service: ServiceDep, params: ParamsQuery = None
) -> CapacityPublic:
    """How many more instances of a shape fit in the last known state, and what runs out (hspace)."""
    principal.check_cluster(name)
    state = await anyio.to_thread.run_sync(_last_state, service, name)
    limit = body.max or DEFAULT_LIMIT
    budget = count_budget(service)
    shape = body.instance
    probe = InstanceProbe(
        shape.memory,
        shape.vcpus,
        shape.disk_template,
        tuple((d.size, d.spindles) for d in shape.disks),
        shape.spindle_use,
        shape.disk_space_total,
    )
    job = CapacityJob(
        state.document, state.placements, probe, list(params or []), state.policy.params, limit, budget
    )
    result = await service.runner.run(name, job)
    observe(service, "capacity", name, result)
    where = {"decision_id": state.decision_id, "updated": state.updated}
    return CapacityPublic.model_validate(result.body | {"cluster": name, "state": where, "max": limit})
