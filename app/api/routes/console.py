"""The console's pages: the fleet, one cluster, one decision and its input document (its explanation:
`console_explain`). A cluster's session sees its own cluster only; anything else is reported
missing (404), never shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from app.api.console.charts import HOURS, age, hourly_chart, hourly_counts, usage
from app.api.console.render import ConsoleError, page
from app.api.console.session import ConsoleUserDep
from app.api.deps import Principal, SessionDep
from app.service.upload import unpack_document
from app.store.clusters import get_cluster
from app.store.decisions import DecisionFilter, get_decision, list_decisions
from app.store.fleet import ClusterOverview, decision_times, fleet
from app.store.models import Decision

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


@router.get("/ui/clusters/{name}")
def cluster_page(name: str, request: Request, user: ConsoleUserDep, session: SessionDep) -> HTMLResponse:
    """One cluster: its groups as last seen, its recent decisions, decisions per hour."""
    _visible_cluster(name, user)
    cluster = get_cluster(name, session=session)
    if cluster is None:
        raise ConsoleError(404, f"no cluster {name!r}")
    now = datetime.now(UTC)
    state = cluster.state
    groups = [
        g | {"memory": usage([g], "memory"), "disk": usage([g], "disk")}
        for g in (state.summary.get("groups", []) if state else [])
    ]
    recent, total = list_decisions(name, DecisionFilter(), session=session, limit=RECENT, offset=0)
    times = decision_times(name, since=now - timedelta(hours=HOURS), session=session)
    chart = hourly_chart(hourly_counts(times, now), now)
    return page(
        request,
        "cluster.html",
        cluster=cluster,
        state=state,
        age=age(state.updated if state else None, now),
        groups=groups,
        decisions=recent,
        total=total,
        chart=chart,
    )


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
