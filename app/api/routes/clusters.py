"""Operator queries about clusters: the registry, the last known state, the decision history.

(`POST /clusters/{name}/explain` and `/capacity` will join this router.)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from app.api.deps import PrincipalDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.schemas import ClusterDetailPublic, ClusterPublic, DecisionPublic, DecisionsPublic
from app.store.clusters import get_cluster, list_clusters
from app.store.decisions import DecisionFilter, activity, list_decisions

router = APIRouter(prefix="/clusters", tags=["clusters"])


@router.get("", responses=responses(401, 503))
def read_clusters(principal: PrincipalDep, session: SessionDep) -> list[ClusterPublic]:
    """The registered clusters (a cluster token sees only its own)."""
    counts = activity(session=session)
    return [
        ClusterPublic.of(c, counts.get(c.name))
        for c in list_clusters(session=session)
        if principal.admin or c.name == principal.cluster
    ]


@router.get("/{name}", responses=responses(401, 403, 404, 503))
def read_cluster(name: str, principal: PrincipalDep, session: SessionDep) -> ClusterDetailPublic:
    """One cluster, with its state as of its last answered request."""
    principal.check_cluster(name)
    cluster = get_cluster(name, session=session)
    if cluster is None:
        raise ApiError(404, "not_found", f"no cluster {name!r}")
    return ClusterDetailPublic.detail(cluster, activity(session=session).get(name), cluster.state)


def _iso_only(value: object) -> object:
    # pydantic would also take a number as a Unix time; the API documents ISO 8601 only.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/{name}/decisions", responses=responses(401, 403, 422, 503))
def read_decisions(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    request_type: Annotated[
        str | None, Query(alias="type", description="allocate, relocate, change-group, ...")
    ] = None,
    instance: Annotated[str | None, Query(description="Decisions about this instance")] = None,
    since: Annotated[IsoTime | None, Query(description="Made at or after (ISO 8601; UTC if no zone)")] = None,
    until: Annotated[IsoTime | None, Query(description="Made before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62, description="decisions to skip")] = 0,
) -> DecisionsPublic:
    """The cluster's decisions, newest first (kept after the cluster is removed)."""
    principal.check_cluster(name)
    where = DecisionFilter(request_type, instance, _utc(since), _utc(until))
    items, total = list_decisions(name, where, session=session, limit=limit, offset=offset)
    return DecisionsPublic(
        items=[DecisionPublic.of(d) for d in items], total=total, limit=limit, offset=offset
    )
