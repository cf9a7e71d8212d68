"""What the operator console shows of many clusters at once: one query each, whatever their number."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from app.store.models import ClusterRecord, ClusterState, Decision


@dataclass(frozen=True)
class ClusterOverview:
    """A registered cluster, its last known state (None before its first answer) and its recent
    decisions: since `since` of fleet(), how many and how many failed, and its last failure."""

    name: str
    updated: datetime | None
    summary: dict[str, Any] | None
    decisions: int
    failed: int
    last_failure: str | None
    last_failure_at: datetime | None


def fleet(
    *, since: datetime, session: Session, names: Collection[str] | None = None
) -> list[ClusterOverview]:
    """The registered clusters (of `names`, or all) by name: three queries for any number."""
    states = select(ClusterRecord.name, ClusterState.updated, ClusterState.summary).outerjoin(
        ClusterState, ClusterState.cluster_name == ClusterRecord.name
    )
    counts = select(Decision.cluster, func.count(), func.sum(cast(~Decision.success, Integer))).where(
        Decision.created >= since
    )
    if names is not None:
        states = states.where(ClusterRecord.name.in_(names))
        counts = counts.where(Decision.cluster.in_(names))
    recent = {
        name: (n, int(failed or 0)) for name, n, failed in session.execute(counts.group_by(Decision.cluster))
    }
    failures = _last_failures(session=session, names=names)
    rows = []
    for name, updated, summary in session.execute(states.order_by(ClusterRecord.name)):
        n, failed = recent.get(name, (0, 0))
        info, at = failures.get(name, (None, None))
        rows.append(ClusterOverview(name, updated, summary, n, failed, info, at))
    return rows


def _last_failures(*, session: Session, names: Collection[str] | None) -> dict[str, tuple[str, datetime]]:
    """Per cluster, the info and time of its newest failed decision."""
    newest = select(Decision.cluster, func.max(Decision.created).label("at")).where(~Decision.success)
    if names is not None:
        newest = newest.where(Decision.cluster.in_(names))
    last = newest.group_by(Decision.cluster).subquery()
    query = select(Decision.cluster, Decision.info, Decision.created).join(
        last, and_(Decision.cluster == last.c.cluster, Decision.created == last.c.at, ~Decision.success)
    )
    return {name: (info, at) for name, info, at in session.execute(query)}
