"""The decision history, on SQLite and PostgreSQL."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.store.clusters import ClusterPolicy, add_cluster
from app.store.decisions import (
    DecisionFilter,
    activity,
    get_decision,
    list_decisions,
    purge_decisions,
    purge_documents,
    record_decision,
)
from app.store.models import ClusterState, Decision, DecisionInstance

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_decision(
    n: int,
    cluster: str = "c1",
    instances: tuple[str, ...] = ("i1",),
    request_type: str = "allocate",
    document: bytes | None = b"{}",
) -> Decision:
    return Decision(
        id=f"{n:032x}",
        created=T0 + timedelta(minutes=n),
        cluster=cluster,
        request_id=f"r{n}",
        request_type=request_type,
        success=True,
        info="ok",
        nodes=["n1", "n2"],
        params=["--p"],
        defaults=["--d"],
        warnings=[],
        score_before=2.0,
        score_after=1.0,
        engine_version="t",
        latency_ms=1.5,
        engine_seconds=0.001,
        document_sha256="0" * 64,
        document_size=2,
        document=zlib.compress(document) if document is not None else None,
        instances=[DecisionInstance(position=i, name=name) for i, name in enumerate(instances)],
    )


def make_state(n: int, cluster: str = "c1") -> ClusterState:
    return ClusterState(
        cluster_name=cluster,
        updated=T0 + timedelta(minutes=n),
        decision_id=f"{n:032x}",
        summary={"n": n},
        score_before=2.0,
        score_after=1.0,
        document=None,
    )


def test_record_decision_round_trip(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    record_decision(make_decision(1, instances=("a", "b")), make_state(1), session=session)
    session.expunge_all()
    got = get_decision(f"{1:032x}", session=session, with_document=True)
    assert got is not None
    assert got.created == T0 + timedelta(minutes=1) and got.created.tzinfo is not None
    assert got.instance_names == ["a", "b"] and got.nodes == ["n1", "n2"] and got.params == ["--p"]
    assert got.document_kept and got.document is not None and zlib.decompress(got.document) == b"{}"
    assert get_decision("nope", session=session) is None


def test_record_decision_state_newer_wins_out_of_order(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    record_decision(make_decision(2), make_state(2), session=session)
    record_decision(make_decision(1), make_state(1), session=session)
    session.expunge_all()
    assert session.get(ClusterState, "c1").summary == {"n": 2}
    record_decision(make_decision(3), make_state(3), session=session)
    session.expunge_all()
    assert session.get(ClusterState, "c1").summary == {"n": 3}


def test_list_decisions_newest_first_paginated_with_total(session):
    for n in range(5):
        record_decision(make_decision(n), None, session=session)
    record_decision(make_decision(9, cluster="c2"), None, session=session)
    page, total = list_decisions("c1", DecisionFilter(), session=session, limit=2, offset=1)
    assert total == 5
    assert [d.id for d in page] == [f"{3:032x}", f"{2:032x}"]


def test_list_decisions_filters(session):
    record_decision(make_decision(1, instances=("a",)), None, session=session)
    record_decision(
        make_decision(2, instances=("b", "a"), request_type="multi-allocate"), None, session=session
    )
    record_decision(make_decision(3, instances=("c",)), None, session=session)

    def ids(**where: Any) -> list[int]:
        return [
            int(d.id, 16)
            for d in list_decisions("c1", DecisionFilter(**where), session=session, limit=10, offset=0)[0]
        ]

    assert ids(instance="a") == [2, 1]
    assert ids(request_type="multi-allocate") == [2]
    assert ids(since=T0 + timedelta(minutes=2)) == [3, 2]
    assert ids(until=T0 + timedelta(minutes=2)) == [1]
    assert ids(
        since=(T0 + timedelta(minutes=2)).astimezone(UTC).replace(tzinfo=None).replace(tzinfo=UTC)
    ) == [3, 2]


def test_activity_counts_and_last_per_cluster(session):
    for n in (1, 4):
        record_decision(make_decision(n), None, session=session)
    record_decision(make_decision(7, cluster="c2"), None, session=session)
    counts = activity(session=session)
    assert counts["c1"].decisions == 2 and counts["c1"].last == T0 + timedelta(minutes=4)
    assert counts["c2"].decisions == 1
    assert activity(session=session, names=["c2", "c3"]) == {"c2": counts["c2"]}
    assert activity(session=session, names=[]) == {}


def test_purge_documents_older_than_only(session):
    record_decision(make_decision(1), None, session=session)
    record_decision(make_decision(5), None, session=session)
    record_decision(make_decision(6, document=None), None, session=session)
    assert purge_documents(older_than=T0 + timedelta(minutes=3), session=session) == 1
    session.expunge_all()
    kept = {
        int(d.id, 16): d.document_kept
        for d in list_decisions("c1", DecisionFilter(), session=session, limit=10, offset=0)[0]
    }
    assert kept == {1: False, 5: True, 6: False}


def test_purge_decisions_older_than_only_with_their_instances(session):
    for n in (1, 2, 5):
        record_decision(make_decision(n, instances=(f"i{n}", "shared")), None, session=session)
    assert purge_decisions(older_than=T0 + timedelta(minutes=3), session=session) == 2
    session.expunge_all()
    left, total = list_decisions("c1", DecisionFilter(), session=session, limit=10, offset=0)
    assert (total, [int(d.id, 16) for d in left]) == (1, [5])
    assert list_decisions("c1", DecisionFilter(instance="i1"), session=session, limit=10, offset=0)[1] == 0
    shared = list_decisions("c1", DecisionFilter(instance="shared"), session=session, limit=10, offset=0)
    assert shared[1] == 1
    assert session.scalar(select(func.count()).select_from(DecisionInstance)) == 2
