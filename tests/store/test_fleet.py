"""The console's fleet queries, on SQLite and PostgreSQL: counts, failures, and no query per cluster."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from app.store.clusters import ClusterPolicy, add_cluster
from app.store.decisions import record_decision
from app.store.fleet import fleet
from tests.store.test_decisions import T0, make_decision, make_state


def _failed(n: int, cluster: str, info: str):
    decision = make_decision(n, cluster)
    decision.success, decision.info = False, info
    return decision


def test_fleet_counts_since_and_last_failure(session):
    for name in ["c2", "c1", "c3"]:
        add_cluster(name, ClusterPolicy(), session=session)
    record_decision(_failed(1, "c1", "old failure"), make_state(1), session=session)
    record_decision(make_decision(10, "c1"), make_state(10), session=session)
    record_decision(_failed(20, "c1", "new failure"), make_state(20), session=session)
    record_decision(make_decision(30, "c1"), make_state(30), session=session)
    record_decision(make_decision(40, "c2"), make_state(40, "c2"), session=session)
    record_decision(_failed(50, "gone", "removed cluster"), None, session=session)
    rows = fleet(since=T0 + timedelta(minutes=5), session=session)
    assert [r.name for r in rows] == ["c1", "c2", "c3"]
    c1, c2, c3 = rows
    assert (c1.decisions, c1.failed, c1.last_failure) == (3, 1, "new failure")
    assert c1.last_failure_at == T0 + timedelta(minutes=20) and c1.updated == T0 + timedelta(minutes=30)
    assert c1.summary == make_state(30).summary
    assert (c2.decisions, c2.failed, c2.last_failure) == (1, 0, None)
    assert (c3.updated, c3.summary, c3.decisions) == (None, None, 0)
    assert [r.name for r in fleet(since=T0, session=session, names=["c2"])] == ["c2"]


def test_fleet_query_count_does_not_grow_with_clusters(session):
    statements: list[str] = []
    listen = event.listens_for(session.get_bind(), "before_cursor_execute")
    listen(lambda *args: statements.append(args[2]))
    for n in range(60):
        name = f"c{n:02d}"
        add_cluster(name, ClusterPolicy(), session=session)
        record_decision(_failed(n, name, "x"), make_state(n, name), session=session)
    statements.clear()
    rows = fleet(since=T0, session=session)
    assert len(rows) == 60 and all(r.failed == 1 for r in rows)
    assert len(statements) == 3
