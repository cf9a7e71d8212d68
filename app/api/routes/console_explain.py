"""POST /ui/decisions/{id}/explain: the decision page with its kept input document explained again
(the engine's ExplainJob, as POST /clusters/{name}/explain runs it); nothing is recorded."""

from __future__ import annotations

from typing import NamedTuple

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse

from app.api.console.explained import explained
from app.api.console.render import ConsoleError
from app.api.console.session import ConsoleUserDep, check_same_origin
from app.api.deps import Principal, Service, ServiceDep
from app.api.errors import ErrorLocation, engine_error
from app.api.reports import remembered
from app.api.routes.console import decision_view, visible_decision
from app.api.schemas import ExplainPublic
from app.engine import DEFAULT_TOP
from app.service.errors import EngineError
from app.service.jobs import ExplainJob
from app.service.upload import KeptDocument
from app.store.clusters import cluster_policy, get_cluster
from app.store.decisions import get_decision
from app.store.models import Decision

router = APIRouter(include_in_schema=False)


class _Inputs(NamedTuple):
    decision: Decision
    document: KeptDocument
    defaults: list[str]  # the cluster's policy now


def _inputs(service: Service, decision_id: str, user: Principal) -> _Inputs:
    with service.sessions() as session:
        found = get_decision(decision_id, session=session, with_document=True)
        decision = visible_decision(found, user, decision_id)
        if decision.document is None:
            raise ConsoleError(404, "the document was not kept (size cap, retention or settings)")
        cluster = get_cluster(decision.cluster, session=session)
        if cluster is None:
            raise ConsoleError(404, f"no cluster {decision.cluster!r}")
        kept = KeptDocument(decision.document, decision.document_size, decision.id)
        return _Inputs(decision, kept, list(cluster_policy(cluster).params))


def _reason(detail: str | list[ErrorLocation] | None) -> str:
    if isinstance(detail, list):
        return "; ".join(f"{e.loc}: {e.msg}" if e.loc else e.msg for e in detail)
    return detail or "the engine gave no result"


@router.post("/ui/decisions/{decision_id}/explain", dependencies=[Depends(check_same_origin)])
async def explain_decision(
    decision_id: str, request: Request, user: ConsoleUserDep, service: ServiceDep
) -> HTMLResponse:
    """The decision's kept document run again without deciding, with its parameters and the
    cluster's current policy: the best candidates and what ruled the others out."""
    decision, kept, defaults = await anyio.to_thread.run_sync(_inputs, service, decision_id, user)
    given = tuple(decision.params)
    job = ExplainJob(kept, decision.cluster, given, tuple(defaults), DEFAULT_TOP)
    key = ("explain", decision.cluster, decision.id, given, job.defaults)
    try:
        result = await remembered(service, key, decision.cluster, "explain", job)
    except EngineError as exc:
        failed = engine_error(exc)
        return decision_view(request, decision, failed.status, failure=_reason(failed.detail))
    body = ExplainPublic.model_validate(result.body).model_dump(mode="json")
    return decision_view(request, decision, explained=explained(body), defaults_now=defaults)
