"""What the calls got against what the database holds: every answer stored once, nothing twice,
each cluster's state its newest decision, the history in the order the calls were made."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import create_engine, select

from app.store.models import ClusterState, Decision, DecisionInstance
from tests.reliability.traffic import SIZES, Call, Client, instance_name, load_figures, percentile

ONE_LINE = re.compile(r"iallocd: [^\n]+\n")


@dataclass(frozen=True)
class Stored:
    id: str
    cluster: str
    created: datetime
    instance: str
    nodes: list[str]
    latency_ms: float  # as the service recorded it: body received to answer


@dataclass
class Audit:
    calls: int = 0
    answered: int = 0
    failed_clearly: int = 0
    stored: int = 0
    stored_unanswered: int = 0  # decided and stored, but the answer was lost on its way (a kill)
    unclear: list[Call] = field(default_factory=list)  # neither an answer nor one line
    lost: list[str] = field(default_factory=list)  # answered instances without their row
    duplicated: list[str] = field(default_factory=list)  # instances stored more than once
    mismatched: list[str] = field(default_factory=list)  # answered nodes != stored nodes
    stale_states: list[str] = field(default_factory=list)  # clusters whose state is not the newest
    failures: Counter[str] = field(default_factory=Counter)  # failed calls by what their line says


def read_store(database_url: str) -> tuple[list[Stored], dict[str, str]]:
    """Every decision with its instance, and each cluster's state's decision id."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(
                Decision.id,
                Decision.cluster,
                Decision.created,
                DecisionInstance.name,
                Decision.nodes,
                Decision.latency_ms,
            ).join(DecisionInstance, DecisionInstance.decision_id == Decision.id)
            rows = [Stored(*row) for row in connection.execute(query)]
            states = dict(
                connection.execute(select(ClusterState.cluster_name, ClusterState.decision_id)).all()
            )
    finally:
        engine.dispose()
    return rows, states


def failure_kind(stderr: str) -> str:
    """The failed call's line, without what changes from call to call (URLs, numbers)."""
    line = re.sub(r"https?://\S+", "URL", stderr.strip())
    return re.sub(r"\d+(\.\d+)?", "N", line)[:120]


def audit(calls: list[Call], rows: list[Stored], states: dict[str, str]) -> Audit:
    found = Audit(calls=len(calls), stored=len(rows))
    by_instance: dict[str, list[Stored]] = {}
    for row in rows:
        by_instance.setdefault(row.instance, []).append(row)
    found.duplicated = sorted(name for name, same in by_instance.items() if len(same) > 1)
    for call in calls:
        mine = by_instance.get(call.instance, [])
        if call.status == 0 and call.answer is not None:
            found.answered += 1
            if not mine:
                found.lost.append(call.instance)
            elif mine[0].nodes != call.answer["result"]:
                found.mismatched.append(call.instance)
        elif call.status > 0 and ONE_LINE.fullmatch(call.stderr):
            found.failed_clearly += 1
            found.failures[failure_kind(call.stderr)] += 1
            found.stored_unanswered += len(mine)
        else:
            found.unclear.append(call)
    newest: dict[str, Stored] = {}
    for row in rows:
        if row.cluster not in newest or _seq(row) > _seq(newest[row.cluster]):
            newest[row.cluster] = row
    found.stale_states = sorted(c for c, row in newest.items() if states.get(c) != row.id)
    return found


def _seq(row: Stored) -> int:
    return int(row.instance.split(".", 1)[0][1:])


def history_out_of_order(url: str, admin: str, cluster: str, calls: int) -> list[str]:
    """GET /clusters/NAME/decisions (newest first) against the order of the cluster's calls: the
    instances it lists out of call order, with their times."""
    headers = {"Authorization": f"Bearer {admin}"}
    response = httpx.get(
        f"{url}/clusters/{cluster}/decisions", params={"limit": 500}, headers=headers, timeout=30
    )
    response.raise_for_status()
    items = response.json()["items"]
    assert calls <= 500, "more calls than one page of the history"
    listed = [(item["instances"][0], item["time"]) for item in reversed(items)]
    order = {instance_name(cluster, seq): seq for seq in range(calls)}
    seqs = [order.get(name, -1) for name, _ in listed]
    return [
        f"{name} at {when}" for (name, when), a, b in zip(listed[1:], seqs, seqs[1:], strict=False) if b <= a
    ]


def history_disorder(url: str, admin: str, clients: list[Client], calls: list[Call]) -> dict[str, list[str]]:
    """`history_out_of_order` of every client's cluster that made calls."""
    made = {c.cluster: 1 + max(x.seq for x in calls if x.cluster == c.cluster) for c in clients}
    return {cluster: history_out_of_order(url, admin, cluster, n) for cluster, n in made.items()}


def summary(found: Audit, calls: list[Call], rows: list[Stored], elapsed: float) -> str:
    in_service = {size: [r.latency_ms for r in rows if f"-{size}." in r.cluster] for size in SIZES}
    service = ", ".join(
        f"{size} p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms"
        for size, ms in in_service.items()
    )
    return (
        f"calls {found.calls}, answered {found.answered}, failed with one line {found.failed_clearly}"
        f" ({dict(found.failures)}), stored {found.stored} (of them not answered: {found.stored_unanswered}),"
        f" duplicated {len(found.duplicated)}; through the shim: {load_figures(calls, elapsed)};"
        f" in the service: {service}"
    )


def assert_sound(found: Audit, rows: list[Stored], disorder: dict[str, list[str]]) -> None:
    """Every call answered or failed with one line; every answer stored once with its nodes;
    nothing else stored; each state the newest decision; every history in call order; and the
    faults showed (some calls failed)."""
    assert found.unclear == []
    assert found.lost == [] and found.duplicated == [] and found.mismatched == []
    assert found.stored == found.answered + found.stored_unanswered
    assert len({row.id for row in rows}) == len(rows)
    assert found.stale_states == []
    assert all(not wrong for wrong in disorder.values()), disorder
    assert found.answered > 0 and found.failed_clearly > 0, "the faults did not show"
