"""A cluster's history series, on SQLite and PostgreSQL: decisions per UTC hour counted in SQL,
and its state after each decision."""

from __future__ import annotations

from datetime import timedelta

from app.store.clusters import ClusterPolicy, add_cluster
from app.store.decisions import record_decision
from app.store.history import HourCount, hourly, state_points
from tests.store.test_decisions import T0, make_decision, make_state


def test_hourly_counts_per_utc_hour_with_failures(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    for minutes, ok in [(0, True), (59, False), (60, True), (61, True), (185, False), (-1, True)]:
        decision = make_decision(minutes)
        decision.success = ok
        record_decision(decision, None, session=session)
    record_decision(make_decision(5, "c2"), None, session=session)
    hours = hourly("c1", since=T0, session=session)
    assert hours == [
        HourCount(T0, 2, 1),
        HourCount(T0 + timedelta(hours=1), 2, 0),
        HourCount(T0 + timedelta(hours=3), 1, 1),
    ]
    assert all(h.start.tzinfo is not None for h in hours)


def test_state_points_oldest_first_without_old_rows(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    for n in (3, 1, 2):
        decision = make_decision(n)
        decision.summary = {"groups": [], "n": n}
        record_decision(decision, make_state(n), session=session)
    record_decision(make_decision(4), None, session=session)  # recorded before summaries were kept
    points = state_points("c1", since=T0 + timedelta(minutes=2), session=session)
    assert [(p.time, p.summary["n"]) for p in points] == [
        (T0 + timedelta(minutes=2), 2),
        (T0 + timedelta(minutes=3), 3),
    ]
