"""The decision history: recording answers (with the cluster's new state), queries and the purge."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, undefer

from app.store.db import insert_for
from app.store.models import ClusterState, Decision, DecisionInstance


@dataclass(frozen=True)
class DecisionFilter:
    """What GET /clusters/{name}/decisions can narrow the history by; None means any."""

    request_type: str | None = None
    instance: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Activity:
    decisions: int
    last: datetime | None


def record_decision(decision: Decision, state: ClusterState | None, *, session: Session) -> None:
    """Store a decision and, in the same transaction, its cluster's last known state."""
    session.add(decision)
    if state is not None:
        columns = ClusterState.__mapper__.column_attrs
        values = {attr.key: getattr(state, attr.key) for attr in columns}
        insert = insert_for(session, ClusterState).values(values)
        # Two answers for one cluster may finish out of order: the newer state wins.
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[ClusterState.cluster_name],
                set_={key: insert.excluded[key] for key in values if key != "cluster_name"},
                where=ClusterState.updated <= insert.excluded.updated,
            )
        )
    session.commit()


def list_decisions(
    cluster: str, where: DecisionFilter, *, session: Session, limit: int, offset: int
) -> tuple[list[Decision], int]:
    """A page of the cluster's decisions, newest first, and how many match in all."""
    query = select(Decision).where(Decision.cluster == cluster)
    if where.request_type is not None:
        query = query.where(Decision.request_type == where.request_type)
    if where.instance is not None:
        named = select(DecisionInstance.decision_id).where(DecisionInstance.name == where.instance)
        query = query.where(Decision.id.in_(named))
    if where.since is not None:
        query = query.where(Decision.created >= where.since)
    if where.until is not None:
        query = query.where(Decision.created < where.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Decision.created.desc(), Decision.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(page)), total


def get_decision(decision_id: str, *, session: Session, with_document: bool = False) -> Decision | None:
    options = [undefer(Decision.document)] if with_document else []
    return session.get(Decision, decision_id, options=options)


def activity(*, session: Session, names: Collection[str] | None = None) -> dict[str, Activity]:
    """Per cluster name (of `names`, or all): how many decisions the history holds and when the
    last was made. Naming the clusters keeps it to their part of the (cluster, created) index."""
    query = select(Decision.cluster, func.count(), func.max(Decision.created)).group_by(Decision.cluster)
    if names is not None:
        query = query.where(Decision.cluster.in_(names))
    return {name: Activity(count, last) for name, count, last in session.execute(query)}


def purge_documents(*, older_than: datetime, session: Session) -> int:
    """Drop the documents kept with decisions made before `older_than`; returns how many."""
    result = session.execute(
        update(Decision)
        .where(Decision.created < older_than, Decision.document.is_not(None))
        .values(document=None)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0))


def purge_decisions(*, older_than: datetime, session: Session) -> int:
    """Delete the decisions made before `older_than`, with their instance rows; returns how many.
    A cluster's last known state stays (it names its decision, which may then be gone)."""
    old = select(Decision.id).where(Decision.created < older_than)
    bulk = {"synchronize_session": False}
    rows = delete(DecisionInstance).where(DecisionInstance.decision_id.in_(old))
    session.execute(rows, execution_options=bulk)
    result = session.execute(delete(Decision).where(Decision.created < older_than), execution_options=bulk)
    session.commit()
    return int(getattr(result, "rowcount", 0))
