"""What the operator questions to the engine (explain, capacity, groups, balance) share: the
asking cluster's policy, its kept state, the reports remembered per state and their accounting."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.api.deps import Service
from app.api.errors import ApiError
from app.engine import BalanceOptions, Placement
from app.service.jobs import BalanceJob, GroupsJob, InstanceProbe, Job, Reported
from app.service.upload import KeptDocument
from app.store.clusters import ClusterPolicy, cluster_policy, get_cluster
from app.store.decisions import document_size
from app.store.models import ClusterRecord

log = logging.getLogger(__name__)


def policy_of(service: Service, name: str) -> ClusterPolicy:
    """A registered cluster's policy (404 if there is none), in a session of its own: no
    connection is held while the engine runs."""
    with service.sessions() as session:
        cluster = get_cluster(name, session=session)
        if cluster is None:
            raise ApiError(404, "not_found", f"no cluster {name!r}")
        return cluster_policy(cluster)


@dataclass(frozen=True)
class LastState:
    """A cluster's kept state: its policy, and its last document with that decision's placements."""

    policy: ClusterPolicy
    decision_id: str
    updated: datetime
    document: KeptDocument
    placements: tuple[Placement, ...]


def last_state(service: Service, name: str) -> LastState:
    """The kept state of a registered cluster; 404 saying why when there is none to use."""
    with service.sessions() as session:
        cluster = get_cluster(name, session=session)
        if cluster is None:
            raise ApiError(404, "not_found", f"no cluster {name!r}")
        return kept_state(cluster, session=session)


def kept_state(cluster: ClusterRecord, *, session: Session) -> LastState:
    """The kept state of `cluster` (read in `session`); 404 saying why when there is none."""
    name, state = cluster.name, cluster.state
    if state is None:
        raise ApiError(404, "not_found", f"no known state of {name!r}: it has not sent a request yet")
    if state.document is None:
        raise ApiError(
            404,
            "not_found",
            f"the last document of {name!r} was not kept (IALLOCD_STORE_DOCUMENTS is off, or it was "
            "larger than IALLOCD_DOCUMENT_MAX_BYTES)",
        )
    size = document_size(state.decision_id, session=session) or len(state.document)  # purged: a guess
    done = tuple((str(i), list(nodes)) for i, nodes in state.placements or ())
    kept = KeptDocument(state.document, size, state.decision_id)
    return LastState(cluster_policy(cluster), state.decision_id, state.updated, kept, done)


def observe(service: Service, what: str, name: str, result: Reported) -> None:
    service.metrics.engine_seconds.labels(request_type=what).observe(result.engine_seconds)
    log.info(what, extra={"cluster": name, "engine_seconds": round(result.engine_seconds, 4)})


def count_budget(service: Service) -> float:
    """Seconds one operator query may spend counting (at most half the request timeout)."""
    return min(service.settings.count_seconds, service.settings.request_timeout / 2)


def _groups_key(
    name: str, state: LastState, params: list[str], limit: int, probe: InstanceProbe | None
) -> tuple[object, ...]:
    return ("groups", name, state.decision_id, tuple(params), tuple(state.policy.params), limit, probe)


def _balance_key(name: str, state: LastState) -> tuple[object, ...]:
    return ("balance", name, state.decision_id, tuple(state.policy.params))


def known_groups_report(
    service: Service, name: str, state: LastState, params: list[str], limit: int, probe: InstanceProbe | None
) -> Reported | None:
    """The group report on this state if it was made already (no engine run)."""
    found: Reported | None = service.reports.get(_groups_key(name, state, params, limit, probe))
    return found


def known_balance_report(service: Service, name: str, state: LastState) -> Reported | None:
    """The balancing preview of this state if it was made already (no engine run)."""
    found: Reported | None = service.reports.get(_balance_key(name, state))
    return found


async def remembered(
    service: Service, key: tuple[object, ...], name: str, what: str, job: Job[Reported]
) -> Reported:
    """`job`'s report (`what`, for cluster `name`), made once per `key`: a question about a kept
    state, named by its decision id (never one about a document sent with the call)."""
    found: Reported | None = service.reports.get(key)
    if found is not None:
        return found
    result = await service.runner.run(name, job)
    observe(service, what, name, result)
    service.reports.put(key, result)
    return result


async def groups_report(
    service: Service, name: str, state: LastState, params: list[str], limit: int, probe: InstanceProbe | None
) -> Reported:
    """The engine's report on each group of a kept state (GroupsJob), remembered per question."""
    key = _groups_key(name, state, params, limit, probe)
    budget = count_budget(service)
    job = GroupsJob(state.document, state.placements, params, state.policy.params, limit, budget, probe)
    return await remembered(service, key, name, "groups", job)


async def balance_report(service: Service, name: str, state: LastState) -> Reported:
    """hbal's plan on a kept state with hbal's defaults, searched for at most `count_budget`
    seconds (a plan cut short says so: its stop is "deadline"), remembered per state."""
    job = BalanceJob(
        BalanceOptions(), [], state.policy.params, count_budget(service), state.document, state.placements
    )
    return await remembered(service, _balance_key(name, state), name, "balance", job)
