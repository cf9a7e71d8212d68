"""Build the cluster model from a parsed request document, deriving figures as hail does
(ALGORITHM.md 1.3-1.6, 7.2)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from app.cluster.model import (
    NO_NODE,
    RUN_STATE,
    RUNNING,
    Cluster,
    Group,
    Instances,
    InstanceSpec,
    Nodes,
)
from app.protocol.request import InputDocument, InstanceSpec as ProtoInstanceSpec

EXCL_PREFIX = "htools:iextags:"
LOCATION_PREFIX = "htools:nlocation:"
DESIRED_PREFIX = "htools:desiredlocation:"
MIGRATION_PREFIX = "htools:migration:"
ALLOW_MIGRATION_PREFIX = "htools:allowmigration:"


def _suffixes(tags: Iterable[str], prefix: str) -> tuple[str, ...]:
    return tuple(t[len(prefix) :] for t in tags if t.startswith(prefix) and len(t) > len(prefix))


def _node_tags(prefixes: Sequence[str], tags: Sequence[str]) -> frozenset[str]:
    """Node tags that start with `<prefix>:` for one of the cluster-tag prefixes."""
    return frozenset(t for p in prefixes for t in tags if t.startswith(p + ":"))


def _allowed_migrations(cluster_tags: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for tag in _suffixes(cluster_tags, ALLOW_MIGRATION_PREFIX):
        src, sep, dst = tag.partition("::")
        if sep and "::" not in dst:
            pairs.append((src, dst))
    return pairs


def make_spec(
    name: str,
    inst: ProtoInstanceSpec,
    cluster: Cluster,
    run_state: int = RUNNING,
) -> InstanceSpec:
    """An engine instance from protocol fields (used for existing and requested instances)."""
    spindles = [d.spindles for d in inst.disks]
    disk_spindles = None if any(s is None for s in spindles) else sum(s for s in spindles if s)
    return InstanceSpec(
        name=name,
        memory=inst.memory,
        vcpus=inst.vcpus,
        dsk=inst.disk_space_total,
        template=inst.disk_template,
        spindle_use=inst.spindle_use,
        disk_sizes=tuple(d.size for d in inst.disks),
        disk_spindles=disk_spindles,
        run_state=run_state,
        excl_tags=tuple(t for t in inst.tags if any(t.startswith(p) for p in cluster.excl_prefixes)),
        desired_loc=frozenset(
            t for t in inst.tags if any(t.startswith(p) for p in cluster.desired_prefixes)
        ),
        networks=frozenset(n.network for n in inst.nics if n.network),
        tags=tuple(inst.tags),
    )


def build_cluster(doc: InputDocument, static_kvm_node_memory: int) -> Cluster:
    groups = [
        Group(uuid, g.name, g.alloc_policy, frozenset(g.networks), g.ipolicy)
        for uuid, g in doc.nodegroups.items()
    ]
    group_pos = {g.uuid: i for i, g in enumerate(groups)}
    tags = doc.cluster_tags
    loc_prefixes = _suffixes(tags, LOCATION_PREFIX)
    mig_prefixes = _suffixes(tags, MIGRATION_PREFIX)
    allowed = _allowed_migrations(tags)

    names = list(doc.nodes)
    raw = list(doc.nodes.values())
    n = len(raw)
    kvm = bool(doc.enabled_hypervisors) and doc.enabled_hypervisors[0] == "kvm"
    n_mem = [
        static_kvm_node_memory if kvm and static_kvm_node_memory > 0 else x.reserved_memory for x in raw
    ]
    excl = np.array([x.ndparams.exclusive_storage for x in raw], dtype=bool)
    t_sp = np.array(
        [x.total_spindles if x.ndparams.exclusive_storage else x.ndparams.spindle_count for x in raw],
        dtype=np.int64,
    )
    group = np.array([group_pos[x.group] for x in raw], dtype=np.int64)
    mig = [_node_tags(mig_prefixes, x.tags) for x in raw]
    rmig = [frozenset(m) | {a for a, b in allowed if b in m} for m in mig]
    nodes = Nodes(
        names=names,
        group=group,
        offline=np.array([not x.live or x.drained for x in raw], dtype=bool),
        t_mem=np.array([x.total_memory for x in raw], dtype=np.float64),
        t_mem_int=np.array([int(x.total_memory) for x in raw], dtype=np.int64),
        n_mem=np.array(n_mem, dtype=np.int64),
        f_mem=np.array([x.free_memory for x in raw], dtype=np.int64),
        x_mem=np.zeros(n, dtype=np.int64),
        i_mem=np.zeros(n, dtype=np.int64),
        f_mem_forth=np.array([x.free_memory for x in raw], dtype=np.int64),
        t_dsk=np.array([x.total_disk for x in raw], dtype=np.float64),
        f_dsk=np.array([x.free_disk for x in raw], dtype=np.int64),
        t_cpu=np.array([x.total_cpus for x in raw], dtype=np.float64),
        u_cpu=np.array([x.reserved_cpus for x in raw], dtype=np.int64),
        excl=excl,
        t_sp=t_sp,
        f_sp=np.array([x.free_spindles for x in raw], dtype=np.int64),
        i_sp=np.zeros(n, dtype=np.float64),
        hi_sp=np.array([groups[g].ipolicy.spindle_ratio for g in group], dtype=np.float64) * t_sp,
        vcpu_ratio=np.array([groups[g].ipolicy.vcpu_ratio for g in group], dtype=np.float64),
        r_mem=np.zeros(n, dtype=np.int64),
        fail_n1=np.zeros(n, dtype=bool),
        p_cnt=np.zeros(n, dtype=np.int64),
        s_cnt=np.zeros(n, dtype=np.int64),
        loc_score=np.zeros(n, dtype=np.int64),
        peers=[{} for _ in range(n)],
        p_tags=[Counter() for _ in range(n)],
        conflicts=np.zeros(n, dtype=np.int64),
        loc_tags=[_node_tags(loc_prefixes, x.tags) for x in raw],
        loc_excl=[Counter() for _ in range(n)],
        mig_tags=mig,
        rmig_tags=rmig,
    )
    node_index = {name: i for i, name in enumerate(names)}
    cluster = Cluster(
        groups=groups,
        nodes=nodes,
        instances=Instances([], np.zeros(0, np.int64), np.zeros(0, np.int64), [], np.zeros(0, np.int64)),
        node_index=node_index,
        instance_index={},
        excl_prefixes=_suffixes(tags, EXCL_PREFIX),
        desired_prefixes=_suffixes(tags, DESIRED_PREFIX),
    )
    _load_instances(cluster, doc)
    return cluster


def _load_instances(cluster: Cluster, doc: InputDocument) -> None:
    """Place existing instances (hail's setPri/setSec, buildPeers and updateMissing)."""
    nodes = cluster.nodes
    specs: list[InstanceSpec] = []
    pnodes: list[int] = []
    snodes: list[int] = []
    loc_scores: list[int] = []
    for name, inst in doc.instances.items():
        spec = make_spec(name, inst, cluster, RUN_STATE.get(inst.admin_state, RUNNING))
        p = cluster.node_index[inst.nodes[0]]
        s = cluster.node_index[inst.nodes[1]] if len(inst.nodes) > 1 else NO_NODE
        score = len(nodes.loc_tags[p] & nodes.loc_tags[s]) if s != NO_NODE else 0
        specs.append(spec)
        pnodes.append(p)
        snodes.append(s)
        loc_scores.append(score)
        # setPri
        nodes.p_cnt[p] += 1
        if spec.online:
            nodes.u_cpu[p] += spec.vcpus
        if spec.run_state != RUNNING:
            nodes.f_mem_forth[p] -= spec.memory
        else:
            nodes.i_mem[p] += spec.memory
        if spec.local and not nodes.excl[p]:
            nodes.i_sp[p] += spec.spindle_use
        nodes.loc_score[p] += score + len(spec.desired_loc - nodes.loc_tags[p])
        nodes.p_tags[p].update(spec.excl_tags)
        nodes.loc_excl[p].update((loc, ex) for loc in nodes.loc_tags[p] for ex in spec.excl_tags)
        if s != NO_NODE:  # setSec, then buildPeers
            nodes.s_cnt[s] += 1
            if spec.local and not nodes.excl[s]:
                nodes.i_sp[s] += spec.spindle_use
            peers = nodes.peers[s]
            peers[p] = peers.get(p, 0) + spec.sec_mem
    for i, peers in enumerate(nodes.peers):
        for k in [k for k, v in peers.items() if v == 0]:
            del peers[k]
        nodes.r_mem[i] = max(peers.values(), default=0)
    nodes.conflicts[:] = [sum(t.values()) - len(t) for t in nodes.p_tags]
    nodes.x_mem[:] = (nodes.t_mem_int - nodes.n_mem - nodes.i_mem) - nodes.f_mem
    # hail 3.0.x (the reference) sets the initial N+1 flag from the reported free memory.
    nodes.fail_n1[:] = nodes.f_mem < nodes.r_mem
    cluster.instances = Instances(
        names=list(doc.instances),
        pnode=np.array(pnodes, dtype=np.int64),
        snode=np.array(snodes, dtype=np.int64),
        specs=specs,
        loc_score=np.array(loc_scores, dtype=np.int64),
    )
    cluster.instance_index = {name: i for i, name in enumerate(doc.instances)}


__all__ = ["build_cluster", "make_spec"]
