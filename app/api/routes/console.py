"""The console's pages: the fleet, one cluster, one decision and its input document (its explanation:
`console_explain`). A cluster's session sees its own cluster only; anything else is reported
missing (404), never shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, get_args

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from app.api.console.charts import (
    HOURS,
    age,
    bars,
    free_chart,
    free_series,
    hourly_chart,
    hourly_counts,
    usage,
    vcpu_usage,
)
from app.api.console.planned import known_plan, plan_context, planned
from app.api.console.render import ConsoleError, page
from app.api.console.session import ConsoleUserDep
from app.api.deps import Principal, Service, ServiceDep, SessionDep
from app.api.errors import ApiError
from app.api.reports import LastState, groups_report, kept_state, known_groups_report
from app.api.schemas import MAX_COUNT, MAX_MIB
from app.engine import DEFAULT_LIMIT
from app.protocol.request import DiskTemplate
from app.service.errors import EngineError
from app.service.jobs import InstanceProbe
from app.service.upload import unpack_document
from app.store.clusters import get_cluster
from app.store.decisions import DecisionFilter, get_decision, list_decisions
from app.store.fleet import ClusterOverview, fleet
from app.store.history import HourCount, StatePoint, hourly, state_points
from app.store.models import ClusterRecord, ClusterState, Decision

router = APIRouter(include_in_schema=False)
STALE = timedelta(hours=1)
RECENT = 25  # decisions on a cluster's page


def _row(overview: ClusterOverview, now: datetime) -> dict[str, Any]:
    groups = (overview.summary or {}).get("groups", [])
    return {
        "o": overview,
        "age": age(overview.updated, now),
        "age_seconds": (now - overview.updated).total_seconds() if overview.updated else None,
        "stale": overview.updated is None or now - overview.updated > STALE,
        "groups": len(groups),
        "memory": usage(groups, "memory"),
        "disk": usage(groups, "disk"),
        "vcpus": vcpu_usage(groups),
        "failing_n1": sum(int(g.get("failing_n1", 0)) for g in groups),
    }


@router.get("/")
def fleet_page(request: Request, user: ConsoleUserDep, session: SessionDep) -> HTMLResponse:
    """Every visible cluster, one row each."""
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    names = None if user.admin else [user.cluster or ""]
    rows = [_row(o, now) for o in fleet(since=today, session=session, names=names)]
    return page(request, "fleet.html", rows=rows, now=now)


def _visible_cluster(name: str, user: Principal) -> None:
    if not user.may_see(name):
        raise ConsoleError(404, f"no cluster {name!r}")


@dataclass(frozen=True)
class _ClusterView:
    """What a cluster's page reads from the store, in one session."""

    cluster: ClusterRecord
    state: ClusterState | None
    kept: LastState | None  # None: no document to ask the engine about
    decisions: list[Decision]
    total: int
    hours: list[HourCount]
    points: list[StatePoint]


def _registered(name: str, session: Session) -> tuple[ClusterRecord, LastState | None]:
    """The cluster and its kept state (None: no document to ask the engine about)."""
    cluster = get_cluster(name, session=session)
    if cluster is None:
        raise ConsoleError(404, f"no cluster {name!r}")
    try:
        return cluster, kept_state(cluster, session=session)
    except ApiError:
        return cluster, None


def _cluster_view(service: Service, name: str, now: datetime) -> _ClusterView:
    since = now - timedelta(hours=HOURS)
    with service.sessions() as session:
        cluster, kept = _registered(name, session)
        recent, total = list_decisions(name, DecisionFilter(), session=session, limit=RECENT, offset=0)
        hours = hourly(name, since=since, session=session)
        points = state_points(name, since=since, session=session)
    return _ClusterView(cluster, cluster.state, kept, recent, total, hours, points)


def _kept_view(service: Service, name: str) -> tuple[ClusterState | None, LastState | None]:
    """What the group cards alone read: the cluster's state and its kept state."""
    with service.sessions() as session:
        cluster, kept = _registered(name, session)
        return cluster.state, kept


@dataclass(frozen=True)
class ShapeQuery:
    """The shape typed into a cluster page's form, if any."""

    memory: Annotated[int | None, Query(ge=1, le=MAX_MIB)] = None
    vcpus: Annotated[int, Query(ge=0, le=MAX_COUNT)] = 1
    disk: Annotated[int, Query(ge=0, le=MAX_MIB)] = 10240
    disk_template: DiskTemplate = "drbd"

    @property
    def probe(self) -> InstanceProbe | None:
        if self.memory is None:
            return None
        return InstanceProbe(self.memory, self.vcpus, self.disk_template, ((self.disk, None),))


ShapeDep = Annotated[ShapeQuery, Depends()]


async def _counted(
    service: Service, name: str, kept: LastState, shape: ShapeQuery
) -> tuple[dict[str, Any] | None, str | None]:
    """The engine's group report on the kept state, or why there is none now."""
    try:
        found = await groups_report(service, name, kept, [], DEFAULT_LIMIT, shape.probe)
    except EngineError as exc:
        return None, f"The engine could not count now: {exc}."
    return found.body, None


NO_DOCUMENT = "The last document was not kept (IALLOCD_STORE_DOCUMENTS or the size cap): figures only."


def _groups_context(
    state: ClusterState | None, report: dict[str, Any] | None, note: str | None
) -> dict[str, Any]:
    """What the group cards draw: the engine's report where there is one, else the summary."""
    summary = state.summary.get("groups", []) if state else []
    groups = report["groups"] if report is not None else summary
    return {"groups": [g | {"bars": bars(g)} for g in groups], "report": report, "note": note}


@router.get("/ui/clusters/{name}")
async def cluster_page(
    name: str,
    request: Request,
    user: ConsoleUserDep,
    service: ServiceDep,
    shape: ShapeDep,
    wait: Annotated[bool, Query(description="count before answering (pages without scripts)")] = False,
) -> HTMLResponse:
    """One cluster: each group as it is once the last decision is done (capacity, room for the
    standard instance and for a typed one, N+1 failures), free resources and decisions over time.
    The engine's counts come with the page when this state was counted already; else the page's
    script fetches them (`cluster_groups`), or, without scripts, the page again with `wait`."""
    _visible_cluster(name, user)
    now = datetime.now(UTC)
    view = await anyio.to_thread.run_sync(_cluster_view, service, name, now)
    known, pending, note = None, False, None
    plan, plan_note = None, None
    if view.kept is not None and wait:
        known, note = await _counted(service, name, view.kept, shape)
        plan, plan_note = await planned(service, name, view.kept)
    elif view.kept is not None:
        found = known_groups_report(service, name, view.kept, [], DEFAULT_LIMIT, shape.probe)
        known, pending = (found.body, False) if found is not None else (None, True)
        plan = known_plan(service, name, view.kept)
    elif view.state is not None:
        note = NO_DOCUMENT
    series = {r: free_series(view.points, r) for r in ("memory", "disk")}
    return page(
        request,
        "cluster.html",
        cluster=view.cluster,
        state=view.state,
        age=age(view.state.updated if view.state else None, now),
        pending=pending,
        query=request.url.query,
        shape=shape,
        templates=get_args(DiskTemplate),
        decisions=view.decisions,
        total=view.total,
        chart=hourly_chart(hourly_counts(view.hours, now), now),
        free=free_chart(series, now),
        **_groups_context(view.state, known, note),
        **plan_context(service, plan, plan_note),
        plan_pending=view.kept is not None and plan is None and plan_note is None,
    )


@router.get("/ui/clusters/{name}/groups")
async def cluster_groups(
    name: str, request: Request, user: ConsoleUserDep, service: ServiceDep, shape: ShapeDep
) -> HTMLResponse:
    """The group cards of a cluster's page with the engine's counts (a fragment of that page)."""
    _visible_cluster(name, user)
    state, kept = await anyio.to_thread.run_sync(_kept_view, service, name)
    report, note = None, NO_DOCUMENT if state is not None else None
    if kept is not None:
        report, note = await _counted(service, name, kept, shape)
    return page(request, "cluster_groups.html", pending=False, **_groups_context(state, report, note))


@router.get("/ui/clusters/{name}/balance")
async def cluster_balance(
    name: str, request: Request, user: ConsoleUserDep, service: ServiceDep
) -> HTMLResponse:
    """The balancing card of a cluster's page with hbal's plan on its kept state (a fragment)."""
    _visible_cluster(name, user)
    state, kept = await anyio.to_thread.run_sync(_kept_view, service, name)
    plan, note = None, NO_DOCUMENT if state is not None else None
    if kept is not None:
        plan, note = await planned(service, name, kept)
    return page(request, "cluster_balance.html", plan_pending=False, **plan_context(service, plan, note))


def visible_decision(decision: Decision | None, user: Principal, decision_id: str) -> Decision:
    """`decision`, if the operator may see it; ConsoleError 404 otherwise."""
    # As the API: another cluster's decision is missing, not forbidden.
    if decision is None or not user.may_see(decision.cluster):
        raise ConsoleError(404, f"no decision {decision_id!r}")
    return decision


def decision_view(request: Request, decision: Decision, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The decision page; `extra`: its explanation (`explained`) or why there is none (`failure`)."""
    when = age(decision.created, datetime.now(UTC))
    return page(request, "decision.html", status_code, d=decision, age=when, **extra)


@router.get("/ui/decisions/{decision_id}")
def decision_page(
    decision_id: str, request: Request, user: ConsoleUserDep, session: SessionDep
) -> HTMLResponse:
    """One decision: what was asked, what was answered, and why."""
    return decision_view(
        request, visible_decision(get_decision(decision_id, session=session), user, decision_id)
    )


@router.get("/ui/decisions/{decision_id}/document")
def decision_document(decision_id: str, user: ConsoleUserDep, session: SessionDep) -> Response:
    """The decision's input document, as a download."""
    found = get_decision(decision_id, session=session, with_document=True)
    decision = visible_decision(found, user, decision_id)
    if decision.document is None:
        raise ConsoleError(404, "the document was not kept (size cap, retention or settings)")
    filename = f"{decision.cluster}-{decision.id}.json"
    return Response(
        unpack_document(decision.document),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
