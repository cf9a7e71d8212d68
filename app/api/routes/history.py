"""GET /clusters/{name}/history: what the console's charts draw, as JSON series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import PrincipalDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.schemas import HistoryPublic, StatePointPublic
from app.store.clusters import get_cluster
from app.store.history import StatePoint, hourly, state_points

router = APIRouter(prefix="/clusters", tags=["clusters"])
MAX_HOURS = 24 * 31

_SUMMED = ("free_memory", "total_memory", "free_disk", "total_disk", "failing_n1")


def _point(p: StatePoint) -> StatePointPublic:
    groups = p.summary.get("groups", [])
    sums = {key: sum(int(g.get(key, 0)) for g in groups) for key in _SUMMED}
    return StatePointPublic(time=p.time, decision_id=p.decision_id, **sums)


@router.get("/{name}/history", responses=responses(401, 403, 404, 422))
def history(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS, description="How far back")] = 24,
) -> HistoryPublic:
    """Decisions per UTC hour (with failures) and the cluster's free memory and disk after each
    decision, over the last `hours` hours."""
    principal.check_cluster(name)
    if get_cluster(name, session=session) is None:
        raise ApiError(404, "not_found", f"no cluster {name!r}")
    since = datetime.now(UTC) - timedelta(hours=hours)
    counts = hourly(name, since=since, session=session)
    points = [_point(p) for p in state_points(name, since=since, session=session)]
    return HistoryPublic.model_validate(
        {"cluster": name, "since": since, "hours": [vars(h) for h in counts], "states": points}
    )
