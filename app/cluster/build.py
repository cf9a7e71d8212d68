"""Build the cluster model from a parsed request document, deriving figures as hail does
(ALGORITHM.md 1.3-1.6, 7.2)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.cluster.model import (
    LOCAL_TEMPLATES,
    NO_NODE,
    OFFLINE,
    RUN_STATE,
    RUNNING,
    BoolArray,
    Cluster,
    Group,
    Instances,
    InstanceSpec,
    Nodes,
    SpecList,
)
from app.protocol.document import NODE_DEFAULTS, ClusterDocument, JsonObject
from app.protocol.fast import RawInstance
from app.protocol.request import AllocateRequest, MultiAllocateEntry

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


def request_spec(req: AllocateRequest | MultiAllocateEntry, cluster: Cluster) -> InstanceSpec:
    """The engine instance of a requested one (a request has no admin state: it is up, as
    hail takes it)."""
    return _spec(req.name, req, RUNNING, cluster.excl_prefixes, cluster.desired_prefixes)


def _tag_fields(
    tags: Sequence[str], excl: Sequence[str], desired: Sequence[str]
) -> tuple[tuple[str, ...], frozenset[str]]:
    """An instance's exclusion tags and desired locations among its tags."""
    return (
        tuple(t for t in tags if any(t.startswith(p) for p in excl)) if excl and tags else (),
        frozenset(t for t in tags if any(t.startswith(p) for p in desired)) if desired and tags else _NONE,
    )


def _spec(
    name: str,
    inst: AllocateRequest | MultiAllocateEntry | RawInstance,
    run_state: int,
    excl: Sequence[str],
    desired: Sequence[str],
) -> InstanceSpec:
    """The engine instance of a requested or an existing one."""
    spindles = [d.spindles for d in inst.disks]
    excl_tags, desired_loc = _tag_fields(inst.tags, excl, desired)
    return InstanceSpec(
        name,
        inst.memory,
        inst.vcpus,
        inst.disk_space_total,
        inst.disk_template,
        inst.spindle_use,
        tuple(d.size for d in inst.disks),
        None if None in spindles else sum(s for s in spindles if s is not None),
        run_state,
        excl_tags,
        desired_loc,
        frozenset(n.network for n in inst.nics if n.network) if inst.nics else _NONE,
        tuple(inst.tags),
    )


_NONE: frozenset[str] = frozenset()


def _live(node: JsonObject) -> bool:
    return not node["offline"] and node.get("vm_capable", NODE_DEFAULTS["vm_capable"])


def _runtime(raw: list[JsonObject], live: list[bool], key: str, dtype: type) -> NDArray[Any]:
    """A run-time figure of every node; hail reads it only for live nodes (0 otherwise)."""
    return np.array([x.get(key, 0) if ok else 0 for x, ok in zip(raw, live, strict=True)], dtype=dtype)


def _bitmap(sets: list[frozenset[str]]) -> BoolArray:
    """(node, tag): whether the node has the tag, one column per distinct tag."""
    column = {tag: k for k, tag in enumerate(sorted(set().union(*sets)))}
    out = np.zeros((len(sets), len(column)), dtype=bool)
    out[
        [node for node, tags in enumerate(sets) for _ in tags], [column[t] for tags in sets for t in tags]
    ] = True
    return out


def build_cluster(doc: ClusterDocument, static_kvm_node_memory: int) -> Cluster:
    groups = [
        Group(uuid, g.name, g.alloc_policy, tuple(g.networks), g.ipolicy)
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
    live = [_live(x) for x in raw]
    ndparams = [x.get("ndparams") or {} for x in raw]
    excl = np.array([nd.get("exclusive_storage", False) for nd in ndparams], dtype=bool)
    t_sp = np.where(
        excl,
        _runtime(raw, live, "total_spindles", np.int64),
        np.array([nd.get("spindle_count", 1) for nd in ndparams], dtype=np.int64),
    )
    t_mem = _runtime(raw, live, "total_memory", np.float64)
    kvm = bool(doc.enabled_hypervisors) and doc.enabled_hypervisors[0] == "kvm"
    n_mem = _runtime(raw, live, "reserved_memory", np.int64)
    if kvm and static_kvm_node_memory > 0:
        n_mem[:] = static_kvm_node_memory
    group = np.array([group_pos[x["group"]] for x in raw], dtype=np.int64)
    node_tags = [x.get("tags") or () for x in raw]
    mig = [_node_tags(mig_prefixes, t) for t in node_tags]
    rmig = [frozenset(m) | {a for a, b in allowed if b in m} for m in mig]
    f_mem = _runtime(raw, live, "free_memory", np.int64)
    loc_tags = [_node_tags(loc_prefixes, t) for t in node_tags]
    nodes = Nodes(
        names=names,
        group=group,
        offline=np.array([not ok or x["drained"] for x, ok in zip(raw, live, strict=True)], dtype=bool),
        t_mem=t_mem,
        t_mem_int=np.trunc(t_mem).astype(np.int64),
        n_mem=n_mem,
        f_mem=f_mem,
        x_mem=np.zeros(n, dtype=np.int64),
        i_mem=np.zeros(n, dtype=np.int64),
        f_mem_forth=f_mem.copy(),
        t_dsk=_runtime(raw, live, "total_disk", np.float64),
        f_dsk=_runtime(raw, live, "free_disk", np.int64),
        t_cpu=_runtime(raw, live, "total_cpus", np.float64),
        u_cpu=_runtime(raw, live, "reserved_cpus", np.int64),
        excl=excl,
        t_sp=t_sp,
        f_sp=_runtime(raw, live, "free_spindles", np.int64),
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
        loc_tags=loc_tags,
        loc_excl=[Counter() for _ in range(n)],
        mig_tags=mig,
        rmig_tags=rmig,
    )
    node_index = {name: i for i, name in enumerate(names)}
    cluster = Cluster(
        groups=groups,
        nodes=nodes,
        instances=Instances.empty(),
        node_index=node_index,
        instance_index={},
        loc_bits=_bitmap(loc_tags),
        excl_prefixes=_suffixes(tags, EXCL_PREFIX),
        desired_prefixes=_suffixes(tags, DESIRED_PREFIX),
    )
    _load_instances(cluster, doc)
    return cluster


def _load_instances(cluster: Cluster, doc: ClusterDocument) -> None:
    """Place existing instances (hail's setPri/setSec, buildPeers and updateMissing). The
    figures every instance contributes are read in one pass over the decoded instances; its
    InstanceSpec is made only if something needs it."""
    nodes = cluster.nodes
    index = cluster.node_index
    names = list(doc.instances)
    raw = list(doc.instances.values())
    # Not `cluster` itself: a SpecList referring to its cluster would be a reference cycle,
    # keeping the whole JSON document alive until the cyclic collector runs.
    excl, desired = cluster.excl_prefixes, cluster.desired_prefixes
    # one pass over the instances (each read once, while in the CPU's cache), then a column
    # per field
    rows = [(x.nodes, x.memory, x.admin_state, x.disk_template, x.spindle_use, x.vcpus) for x in raw]
    where, mems, states, templates, uses, cpus = zip(*rows, strict=True) if rows else ((),) * 6
    pnode = np.array([index[w[0]] for w in where], dtype=np.int64)
    snode = np.array([index[w[1]] if len(w) > 1 else NO_NODE for w in where], dtype=np.int64)
    n = len(nodes)
    mem = np.array(mems, dtype=np.int64)
    state = np.array(list(map(RUN_STATE.get, states, repeat(RUNNING))), dtype=np.int64)
    local = np.array(list(map(LOCAL_TEMPLATES.__contains__, templates)), dtype=bool)
    use = np.array(uses, dtype=np.float64)
    vcpus = np.array(cpus, dtype=np.int64)
    drbd = np.array([t == "drbd" for t in templates], dtype=bool)
    specs = SpecList(
        lambda i: _spec(names[i], raw[i], int(state[i]), excl, desired),
        len(raw),
        drbd,
        np.where(state == RUNNING, mem, 0),
    )
    has_sec = snode != NO_NODE
    sec = snode[has_sec]

    def per_node(where: NDArray[np.int64], weights: NDArray[Any] | None = None) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.bincount(where, weights=weights, minlength=n).astype(np.float64)
        return out

    nodes.p_cnt += per_node(pnode).astype(np.int64)
    nodes.s_cnt += per_node(sec).astype(np.int64)
    nodes.u_cpu += per_node(pnode, np.where(state != OFFLINE, vcpus, 0)).astype(np.int64)
    nodes.i_mem += per_node(pnode, np.where(state == RUNNING, mem, 0)).astype(np.int64)
    nodes.f_mem_forth -= per_node(pnode, np.where(state != RUNNING, mem, 0)).astype(np.int64)
    spindles = np.where(local, use, 0.0)
    nodes.i_sp += per_node(pnode, spindles) + per_node(sec, spindles[has_sec])
    nodes.i_sp[nodes.excl] = 0.0
    loc_scores = np.zeros(len(raw), dtype=np.int64)
    loc_scores[has_sec] = cluster.pair_locations(pnode[has_sec], sec)
    # location scores and exclusion or desired-location tags: only the instances with any
    todo = set(np.flatnonzero(loc_scores).tolist())
    if cluster.excl_prefixes or cluster.desired_prefixes:
        todo.update(i for i, inst in enumerate(raw) if inst.tags)
    for i in sorted(todo):
        spec, p = specs[i], int(pnode[i])
        if spec.desired_loc or loc_scores[i]:
            nodes.loc_score[p] += int(loc_scores[i]) + len(spec.desired_loc - nodes.loc_tags[p])
        if spec.excl_tags:
            nodes.p_tags[p].update(spec.excl_tags)
            nodes.loc_excl[p].update((loc, ex) for loc in nodes.loc_tags[p] for ex in spec.excl_tags)
    sec_mem = np.where(state != OFFLINE, mem, 0)
    for p, s, m in zip(pnode[has_sec].tolist(), sec.tolist(), sec_mem[has_sec].tolist(), strict=True):
        if m:
            peers = nodes.peers[s]
            peers[p] = peers.get(p, 0) + m
    nodes.r_mem[:] = [max(p.values(), default=0) for p in nodes.peers]
    nodes.conflicts[:] = [sum(t.values()) - len(t) for t in nodes.p_tags]
    nodes.x_mem[:] = (nodes.t_mem_int - nodes.n_mem - nodes.i_mem) - nodes.f_mem
    # hail 3.0.x (the reference) sets the initial N+1 flag from the reported free memory.
    nodes.fail_n1[:] = nodes.f_mem < nodes.r_mem
    cluster.instances = Instances(names=names, pnode=pnode, snode=snode, specs=specs, loc_score=loc_scores)
    cluster.instance_index = {name: i for i, name in enumerate(names)}


__all__ = ["build_cluster", "request_spec"]
