"""POST /clusters/{name}/capacity: how many more instances of a shape fit (hspace), on the
cluster's last known state or on a document of the caller's own (what-if)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic_core import to_json

from app.api import examples
from app.api.body import read_model
from app.api.deps import ParamsQuery, PrincipalDep, Service, ServiceDep
from app.api.errors import responses
from app.api.reports import count_budget, last_state, observe, policy_of, remembered
from app.api.schemas import CapacityPublic, CapacityRequest
from app.engine import DEFAULT_LIMIT, Placement
from app.service.answer import check_cluster
from app.service.errors import InputRejected
from app.service.jobs import CapacityJob, InstanceProbe, Reported
from app.service.upload import Document, Upload
from app.store.clusters import ClusterPolicy

router = APIRouter(prefix="/clusters", tags=["clusters"])
_BODY = {
    "required": True,
    "description": "The shape to count, and optionally a document to count in instead of the kept state",
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/CapacityRequest"},
            "examples": {
                "kept": {"summary": "In the kept state", "value": examples.CAPACITY_REQUEST},
                "what-if": {"summary": "In a document of your own", "value": examples.CAPACITY_WHAT_IF},
            },
        }
    },
}


@dataclass(frozen=True)
class _State:
    """What the count runs on, and how the response names it."""

    policy: ClusterPolicy
    document: Document
    placements: tuple[Placement, ...]  # of its decision (none for a what-if)
    source: Literal["kept", "document"]
    decision_id: str | None = None
    updated: datetime | None = None


def _kept_state(service: Service, name: str) -> _State:
    kept = last_state(service, name)
    return _State(kept.policy, kept.document, kept.placements, "kept", kept.decision_id, kept.updated)


def _as_upload(document: dict[str, Any], limit: int) -> Upload:
    return Upload(to_json(document), False, limit)


async def _state(service: Service, name: str, document: dict[str, Any] | None) -> _State:
    if document is None:
        return await anyio.to_thread.run_sync(_kept_state, service, name)
    named = document.get("cluster_name")
    check_cluster(named if isinstance(named, str) else "", name)  # the engine checks it exactly
    policy = await anyio.to_thread.run_sync(policy_of, service, name)
    upload = await anyio.to_thread.run_sync(_as_upload, document, service.settings.max_body_bytes)
    return _State(policy, upload, (), "document")


async def _what_if(service: Service, name: str, job: CapacityJob) -> Reported:
    """The count in a document sent with the call, its faults named where they are in the body."""
    try:
        return await service.runner.run(name, job)
    except InputRejected as exc:
        rejected = exc.rejected
        if rejected.code != "bad_document" or rejected.loc is None:
            raise
        loc = ".".join(p for p in ("body.document", rejected.loc) if p)
        raise InputRejected(replace(rejected, loc=loc)) from None


@router.post(
    "/{name}/capacity",
    responses=responses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504),
    openapi_extra={"requestBody": _BODY},
)
async def capacity(
    name: str, request: Request, principal: PrincipalDep, service: ServiceDep, params: ParamsQuery = None
) -> CapacityPublic:
    """How many more instances of a shape fit in the last known state, or in the document
    given (what-if), and what runs out (hspace)."""
    principal.check_cluster(name)
    body = await read_model(request, CapacityRequest, service.settings.max_body_bytes)
    state = await _state(service, name, body.document)
    body.document = None  # the engine process parses its own copy
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
    given, defaults = tuple(params or ()), tuple(state.policy.params)
    job = CapacityJob(state.document, name, state.placements, probe, given, defaults, limit, budget)
    if state.source == "kept":
        key = ("capacity", name, state.decision_id, job.params, job.defaults, limit, probe)
        result = await remembered(service, key, name, "capacity", job)
    else:
        result = await _what_if(service, name, job)
        observe(service, "capacity", name, result)
    where = {"source": state.source, "decision_id": state.decision_id, "updated": state.updated}
    return CapacityPublic.model_validate(result.body | {"cluster": name, "state": where, "max": limit})
