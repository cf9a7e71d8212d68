"""The decision history: recording answers (with the cluster's new state), queries and the purge."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, func, insert, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, undefer

from app.store.db import dialect_insert
from app.store.models import Base, ClusterState, Decision, DecisionInstance, utcnow
from app.store.records import DecisionFacts


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


@dataclass(frozen=True)
class RequestContext:
    """What the service knew of a request besides the engine's facts."""

    cluster: str
    request_id: str
    params: list[str]  # as sent with the request
    defaults: list[str]  # the cluster policy's at the time
    latency_ms: float
    document_size: int
    document: bytes | None  # compressed; None when over the cap


@dataclass(frozen=True)
class NewState:
    """The cluster once the decision is done: its summary, and what it placed where."""

    summary: dict[str, Any]
    placements: list[Any]  # [instance, [nodes]] of the decision, applied to the document


def record_outcome(
    facts: DecisionFacts,
    context: RequestContext,
    new: NewState,
    *,
    keep_document: bool,
    session: Session,
) -> str:
    """Store one answered request and its cluster's new state; returns the decision's id. The
    document is kept (with the decision and as the state capacity counts on) only if
    `keep_document`; the decision keeps the state's summary, for the history."""
    now = utcnow()
    decision = vars(facts) | vars(context)  # shallow: these rows are written, never changed
    names = decision.pop("instances")
    document = context.document if keep_document else None
    decision_id = uuid.uuid4().hex
    decision |= {"id": decision_id, "created": now, "summary": new.summary, "document": document}
    state = {
        "cluster_name": context.cluster,
        "updated": now,
        "decision_id": decision_id,
        "summary": new.summary,
        "score_before": facts.score_before,
        "score_after": facts.score_after,
        "document": document,
        "placements": new.placements,
    }
    _insert(decision, [{"position": i, "name": name} for i, name in enumerate(names)], state, session=session)
    return decision_id


def record_decision(decision: Decision, state: ClusterState | None, *, session: Session) -> None:
    """Store a decision made as ORM records and, in the same transaction, its cluster's last
    known state."""
    instances = [_row(i) for i in decision.instances]
    _insert(_row(decision), instances, None if state is None else _row(state), session=session)


def _insert(
    decision: dict[str, Any],
    instances: list[dict[str, Any]],
    state: dict[str, Any] | None,
    *,
    session: Session,
) -> None:
    """Plain INSERTs of rows on the session's connection, then the commit: the ORM's unit of
    work, and even building ORM records, cost most of a small request's time in the store. A key
    that is no column fails the INSERT."""
    connection = session.connection()
    connection.execute(insert(Decision), decision)
    if instances:
        connection.execute(insert(DecisionInstance), [i | {"decision_id": decision["id"]} for i in instances])
    if state is not None:
        connection.execute(_state_upsert(connection.dialect.name), state)
    session.commit()


def _row(record: Base) -> dict[str, Any]:
    """The columns set on `record` (the others get their defaults)."""
    table = record.__table__
    return {key: value for key, value in inspect(record).dict.items() if key in table.c}


@cache
def _state_upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """INSERT of a cluster's state, or UPDATE of the one stored unless that is newer: two answers
    for one cluster may finish out of order (built once: its parameters come with each call)."""
    insert_ = dialect_insert(dialect, ClusterState)
    columns = [c.key for c in ClusterState.__table__.c if c.key != "cluster_name"]
    return insert_.on_conflict_do_update(
        index_elements=[ClusterState.cluster_name],
        set_={key: insert_.excluded[key] for key in columns},
        where=ClusterState.updated <= insert_.excluded.updated,
    )


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


def document_size(decision_id: str, *, session: Session) -> int | None:
    """The size of a decision's input document, unpacked (None: no such decision, e.g. purged)."""
    size: int | None = session.scalar(select(Decision.document_size).where(Decision.id == decision_id))
    return size
