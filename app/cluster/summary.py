"""A cluster's state summed up per node group: node counts from the document, resources from
the model (so that a decision applied to the model shows in them)."""

from __future__ import annotations

import math

import numpy as np

from app.cluster.model import Cluster
from app.protocol.document import NODE_DEFAULTS, ClusterDocument
from app.protocol.summary import GroupSummary, StateSummary


def summarize(doc: ClusterDocument, c: Cluster) -> StateSummary:
    """Per group of `doc` (in UUID order) its nodes and, from `c` (built from `doc`, perhaps
    with a decision applied), its memory, disk, CPUs, spindles and N+1 failures."""
    n = c.nodes
    k = len(c.groups)
    raw = list(doc.nodes.values())
    offline = np.array([bool(x["offline"]) for x in raw], dtype=bool)
    drained = np.array([bool(x["drained"]) for x in raw], dtype=bool)
    vm_capable = np.array([bool(x.get("vm_capable", NODE_DEFAULTS["vm_capable"])) for x in raw], dtype=bool)
    live = vm_capable & ~offline  # the others report no resources (build.py reads them as 0)

    def per_group(values: object) -> list[int]:
        summed = np.bincount(n.group, weights=np.asarray(values, dtype=np.float64), minlength=k)
        return [int(v) for v in summed]

    columns = {
        "nodes": per_group(np.ones(len(raw))),
        "offline": per_group(offline),
        "drained": per_group(drained),
        "total_memory": per_group(n.t_mem_int),
        "free_memory": per_group(n.f_mem),
        "reserved_memory": per_group(np.where(live, n.r_mem, 0)),
        "total_disk": per_group(np.trunc(n.t_dsk)),
        "free_disk": per_group(n.f_dsk),
        "total_cpus": per_group(np.trunc(n.t_cpu)),
        "used_vcpus": per_group(n.u_cpu),
        "total_spindles": per_group(np.where(live & n.excl, n.t_sp, 0)),
        "free_spindles": per_group(np.where(live & n.excl, np.maximum(n.f_sp, 0), 0)),
        "failing_n1": per_group(live & n.fail_n1),
    }
    cpus = np.bincount(n.group, weights=n.t_cpu, minlength=k)
    groups = []
    for g, group in enumerate(c.groups):
        ratio = group.ipolicy.vcpu_ratio
        limit = math.floor(cpus[g] * ratio) if ratio >= 0 else None
        figures = {key: values[g] for key, values in columns.items()}
        groups.append(
            GroupSummary(
                uuid=group.uuid, name=group.name, alloc_policy=group.policy, max_vcpus=limit, **figures
            )
        )
    groups.sort(key=lambda s: s.uuid)
    return StateSummary(nodes=len(raw), instances=len(c.instances), groups=groups)
