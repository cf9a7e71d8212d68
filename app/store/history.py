"""A cluster's history as series: decisions per hour (grouped in SQL) and its state after each
decision (the summary kept with it), for the console's charts and GET /clusters/{name}/history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import Session

from app.store.models import Decision

HOUR_FORMAT = "%Y-%m-%d %H"
MAX_POINTS = 1000  # states in one series: the newest


@dataclass(frozen=True)
class HourCount:
    start: datetime  # UTC, on the hour
    decisions: int
    failed: int


@dataclass(frozen=True)
class StatePoint:
    time: datetime
    decision_id: str
    summary: dict[str, Any]  # app.protocol.summary.StateSummary as kept


def _hour(session: Session) -> ColumnElement[str]:
    """The UTC hour of a decision as text ("2026-12-03 14"), on either backend."""
    if session.get_bind().dialect.name == "sqlite":  # stored naive, in UTC
        return func.strftime(HOUR_FORMAT, Decision.created)
    return func.to_char(func.date_trunc("hour", func.timezone("UTC", Decision.created)), "YYYY-MM-DD HH24")


def hourly(cluster: str, *, since: datetime, session: Session) -> list[HourCount]:
    """The cluster's decisions since `since`, counted per UTC hour (hours with none left out)."""
    hour = _hour(session).label("hour")
    query = (
        select(hour, func.count(), func.sum(cast(~Decision.success, Integer)))
        .where(Decision.cluster == cluster, Decision.created >= since)
        .group_by(hour)
        .order_by(hour)
    )
    return [
        HourCount(datetime.strptime(text, HOUR_FORMAT).replace(tzinfo=UTC), n, int(failed or 0))
        for text, n, failed in session.execute(query)
    ]


def state_points(cluster: str, *, since: datetime, session: Session) -> list[StatePoint]:
    """The cluster's state after each decision since `since`, oldest first (the newest
    MAX_POINTS; decisions recorded before summaries were kept are left out)."""
    query = (
        select(Decision.created, Decision.id, Decision.summary)
        .where(Decision.cluster == cluster, Decision.created >= since, Decision.summary.is_not(None))
        .order_by(Decision.created.desc(), Decision.id.desc())
        .limit(MAX_POINTS)
    )
    return [
        StatePoint(created, id_, summary) for created, id_, summary in reversed(list(session.execute(query)))
    ]
