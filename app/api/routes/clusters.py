"""The cluster registry as operators see it: the clusters, and each one's last known state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import PrincipalDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.schemas import ClusterDetailPublic, ClusterPublic
from app.store.clusters import count_clusters, get_cluster, list_clusters
from app.store.decisions import activity

router = APIRouter(prefix="/clusters", tags=["clusters"])
MAX_CLUSTERS = 1000  # per page of GET /clusters


@router.get(
    "",
    responses={
        200: {
            "headers": {"X-Total-Count": {"description": "Clusters in all", "schema": {"type": "integer"}}}
        },
        **responses(401, 422, 503),
    },
)
def read_clusters(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_CLUSTERS, description="At most this many (all by default)")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Skip this many first (clusters are by name)")] = 0,
) -> list[ClusterPublic]:
    """The registered clusters by name (a cluster token sees only its own)."""
    if principal.cluster is None:
        found = list_clusters(session=session, limit=limit, offset=offset)
        total = count_clusters(session=session)
    else:  # a cluster token: its own cluster only
        own = get_cluster(principal.cluster, session=session)
        mine = [own] if own is not None else []
        found, total = mine[offset:][:limit], len(mine)
    counts = activity(session=session, names=[c.name for c in found])
    response.headers["X-Total-Count"] = str(total)
    return [ClusterPublic.of(c, counts.get(c.name)) for c in found]


@router.get("/{name}", responses=responses(401, 403, 404, 503))
def read_cluster(name: str, principal: PrincipalDep, session: SessionDep) -> ClusterDetailPublic:
    """One cluster, with its state as of its last answered request."""
    principal.check_cluster(name)
    cluster = get_cluster(name, session=session)
    if cluster is None:
        raise ApiError(404, "not_found", f"no cluster {name!r}")
    return ClusterDetailPublic.detail(
        cluster, activity(session=session, names=[name]).get(name), cluster.state
    )
