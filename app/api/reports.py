"""What the operator questions to the engine (explain, capacity) share: the asking cluster's
policy and the accounting of each report."""

from __future__ import annotations

import logging

from app.api.deps import Service
from app.api.errors import ApiError
from app.service.jobs import Reported
from app.store.clusters import ClusterPolicy, cluster_policy, get_cluster

log = logging.getLogger(__name__)


def policy_of(service: Service, name: str) -> ClusterPolicy:
    """A registered cluster's policy (404 if there is none), in a session of its own: no
    connection is held while the engine runs."""
    with service.sessions() as session:
        cluster = get_cluster(name, session=session)
        if cluster is None:
            raise ApiError(404, "not_found", f"no cluster {name!r}")
        return cluster_policy(cluster)


def observe(service: Service, what: str, name: str, result: Reported) -> None:
    service.metrics.engine_seconds.labels(request_type=what).observe(result.engine_seconds)
    log.info(what, extra={"cluster": name, "engine_seconds": round(result.engine_seconds, 4)})
