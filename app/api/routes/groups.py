"""GET /clusters/{name}/groups: each node group of the cluster's state (its last document with
its last decision applied): figures, room for the group's standard instance, N+1 failures."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query

from app.api.deps import ParamsQuery, PrincipalDep, ServiceDep
from app.api.errors import responses
from app.api.reports import groups_report, last_state
from app.api.schemas import MAX_COUNT, MAX_MIB, GroupsPublic
from app.engine import DEFAULT_LIMIT
from app.protocol.request import DiskTemplate
from app.service.jobs import InstanceProbe

router = APIRouter(prefix="/clusters", tags=["clusters"])


@router.get("/{name}/groups", responses=responses(401, 403, 404, 422, 429, 500, 503, 504))
async def groups(
    name: str,
    principal: PrincipalDep,
    service: ServiceDep,
    params: ParamsQuery = None,
    memory: Annotated[int | None, Query(ge=0, le=MAX_MIB, description="Also count this shape: MiB")] = None,
    vcpus: Annotated[int, Query(ge=0, le=MAX_COUNT)] = 1,
    disk_template: DiskTemplate = "drbd",
    disk: Annotated[int, Query(ge=0, le=MAX_MIB, description="MiB per disk")] = 0,
    disks: Annotated[int, Query(ge=0, le=64, description="How many disks")] = 1,
    max: Annotated[
        int, Query(ge=1, le=MAX_COUNT, description="Stop each count at this many")
    ] = DEFAULT_LIMIT,
) -> GroupsPublic:
    """Each node group as the cluster is once its last decision is done, and how many more
    instances of the group's ipolicy standard spec fit there (and of `memory`... if given)."""
    principal.check_cluster(name)
    state = await anyio.to_thread.run_sync(last_state, service, name)
    probe = None
    if memory is not None:
        probe = InstanceProbe(memory, vcpus, disk_template, ((disk, None),) * disks)
    result = await groups_report(service, name, state, list(params or []), max, probe)
    where = {"source": "kept", "decision_id": state.decision_id, "updated": state.updated}
    return GroupsPublic.model_validate(result.body | {"cluster": name, "state": where})
