"""Adding and removing instances on nodes: hail's `addPriEx`, `addSecExEx`, `removePri`,
`removeSec` (ALGORITHM.md 3.3-3.5).

The checks and the resulting node figures are computed on arrays of candidate nodes at
once (`primary_effect`; DRBD secondaries in `secondary`); `add_*`/`remove_*` apply one change
in place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from app.cluster.model import NO_NODE, BoolArray, Cluster, InstanceSpec, IntArray
from app.engine.checks.failures import Fail
from app.engine.score.metrics import NodeFields, node_fields

Key = TypeVar("Key", str, tuple[str, str])


@dataclass(frozen=True)
class SpecColumns:
    """The fields the checks read of many DRBD instances without exclusion tags or desired
    locations, one entry per candidate (`InstanceSpec`'s names), for nodes without exclusive
    storage: one instance per candidate node in `primary_effect` and `secondary_base`."""

    memory: IntArray
    vcpus: IntArray
    dsk: IntArray
    spindle_use: IntArray
    uses_mem: BoolArray
    online: BoolArray
    template: str = "drbd"
    local: bool = True
    excl_tags: tuple[str, ...] = ()
    desired_loc: frozenset[str] = frozenset()

    @property
    def sec_mem(self) -> IntArray:
        out: IntArray = np.where(self.online, self.memory, 0)
        return out

    @classmethod
    def of(cls, specs: Sequence[InstanceSpec]) -> SpecColumns:
        def col(values: list[int] | list[bool], dtype: type) -> NDArray[Any]:
            return np.array(values, dtype=dtype)

        return cls(
            col([s.memory for s in specs], np.int64),
            col([s.vcpus for s in specs], np.int64),
            col([s.dsk for s in specs], np.int64),
            col([s.spindle_use for s in specs], np.int64),
            col([s.uses_mem for s in specs], np.bool_),
            col([s.online for s in specs], np.bool_),
        )


@dataclass
class Effect:
    """Per candidate: the failure (0 = none) and the node figures after the change."""

    fail: IntArray
    fields: NodeFields


def spindles_after(c: Cluster, idx: IntArray, inst: InstanceSpec | SpecColumns, f_sp: IntArray) -> IntArray:
    """`calcNewFreeSpindles True` from the free spindles `f_sp` of `idx`: unknown disk spindles
    force -1 on exclusive storage."""
    if isinstance(inst, SpecColumns):  # made only for nodes without exclusive storage
        return f_sp
    taken = -1 if inst.disk_spindles is None else None
    if taken is not None:
        return np.where(c.nodes.excl[idx], taken, f_sp)
    out: IntArray = np.where(c.nodes.excl[idx], f_sp - int(inst.disk_spindles or 0), f_sp)
    return out


def primary_effect(
    c: Cluster,
    idx: IntArray,
    inst: InstanceSpec | SpecColumns,
    force: bool,
    loc_score: IntArray | int = 0,
    fields: NodeFields | None = None,
) -> Effect:
    """Adding `inst` as primary on each node of `idx` (`loc_score`: the instance's
    location score on each candidate, |loc(p) & loc(s)| for DRBD pairs); with `SpecColumns`,
    candidate k adds instance k. `fields`: the nodes' figures if not those of `c`."""
    n = c.nodes
    f = node_fields(c, idx) if fields is None else fields
    strict = not force
    mem = np.where(inst.uses_mem, inst.memory, 0)
    new_free = f.unalloc - mem
    new_failn1 = new_free <= f.r_mem
    new_dsk = np.where(inst.local, f.f_dsk - inst.dsk, f.f_dsk)
    new_fsp = spindles_after(c, idx, inst, f.f_sp)
    excl = n.excl[idx]
    new_isp = np.where(excl, 0.0, f.i_sp + np.where(inst.local, inst.spindle_use, 0))
    new_ucpu = f.u_cpu + np.where(inst.online, inst.vcpus, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        new_pcpu = new_ucpu / f.t_cpu
    ratio = n.vcpu_ratio[idx]
    tag_hits = (
        np.array([sum(t in n.p_tags[i] for t in inst.excl_tags) for i in idx], dtype=np.int64)
        if inst.excl_tags
        else np.zeros(len(idx), dtype=np.int64)
    )
    mem_forth = f.f_mem_forth - inst.memory
    fail = np.zeros(len(idx), dtype=np.int64)
    checks: list[tuple[object, Fail]] = [
        (new_free <= 0, Fail.MEM),
        (inst.local & (new_dsk <= 0), Fail.DISK),
        (inst.local & excl & (new_fsp < 0), Fail.SPINDLES),
    ]
    if strict:
        checks += [
            (inst.local & (new_isp > f.hi_sp), Fail.DISK),
            (new_failn1 & ~f.fail_n1, Fail.MEM),
            ((ratio >= 0) & (new_pcpu > ratio), Fail.CPU),
            (tag_hits > 0, Fail.TAGS),
            (mem_forth <= 0, Fail.MEM),  # the "forthcoming" shadow check (3.4)
        ]
    for cond, mode in checks:
        fail = np.where((fail == 0) & np.asarray(cond), int(mode), fail)
    desired = (
        np.array([len(inst.desired_loc - n.loc_tags[i]) for i in idx], dtype=np.int64)
        if inst.desired_loc
        else 0
    )
    fields = replace(
        f,
        unalloc=new_free,
        f_dsk=new_dsk,
        f_sp=new_fsp,
        fail_n1=new_failn1,
        p_cnt=f.p_cnt + 1,
        u_cpu=new_ucpu,
        conflicts=f.conflicts + tag_hits,
        i_sp=new_isp,
        f_mem_forth=mem_forth,
        loc_score=f.loc_score + loc_score + desired,
    )
    return Effect(fail, fields)


Snapshot = tuple[list[int], dict[str, NDArray[Any]], list[list[Any]]]
_MAPS = ("peers", "p_tags", "loc_excl")


def snapshot(c: Cluster, nodes: list[int]) -> Snapshot:
    """The figures of `nodes`, to undo a failed move exactly (`restore`)."""
    n = c.nodes
    arrays = {k: v[nodes].copy() for k, v in vars(n).items() if isinstance(v, np.ndarray)}
    maps = [[type(getattr(n, m)[i])(getattr(n, m)[i]) for i in nodes] for m in _MAPS]
    return nodes, arrays, maps


def restore(c: Cluster, snap: Snapshot) -> None:
    nodes, arrays, maps = snap
    n = c.nodes
    for k, v in arrays.items():
        getattr(n, k)[nodes] = v
    for m, values in zip(_MAPS, maps, strict=True):
        target = getattr(n, m)
        for i, value in zip(nodes, values, strict=True):
            target[i] = value


def _loc_excl_pairs(c: Cluster, node: int, inst: InstanceSpec) -> list[tuple[str, str]]:
    return [(loc, ex) for loc in c.nodes.loc_tags[node] for ex in inst.excl_tags]


def add_primary(c: Cluster, node: int, inst: InstanceSpec, loc_score: int) -> None:
    """Apply `addPri` (checks already done by the caller)."""
    n = c.nodes
    if inst.uses_mem:
        n.i_mem[node] += inst.memory
    if inst.local:
        n.f_dsk[node] -= inst.dsk
        if not n.excl[node]:
            n.i_sp[node] += inst.spindle_use
    if n.excl[node]:
        n.f_sp[node] = -1 if inst.disk_spindles is None else n.f_sp[node] - inst.disk_spindles
    if inst.online:
        n.u_cpu[node] += inst.vcpus
    n.f_mem_forth[node] -= inst.memory
    n.fail_n1[node] = n.unalloc_mem()[node] <= n.r_mem[node]
    n.p_cnt[node] += 1
    n.conflicts[node] += sum(t in n.p_tags[node] for t in inst.excl_tags)
    n.p_tags[node].update(inst.excl_tags)
    n.loc_excl[node].update(_loc_excl_pairs(c, node, inst))
    n.loc_score[node] += loc_score + len(inst.desired_loc - n.loc_tags[node])


def remove_primary(c: Cluster, node: int, inst: InstanceSpec, loc_score: int) -> None:
    n = c.nodes
    if inst.uses_mem:
        n.i_mem[node] -= inst.memory
    if inst.local:
        n.f_dsk[node] += inst.dsk
        if not n.excl[node]:
            n.i_sp[node] -= inst.spindle_use
    if n.excl[node] and inst.disk_spindles is not None:
        n.f_sp[node] += inst.disk_spindles
    if inst.online:
        n.u_cpu[node] -= inst.vcpus
    n.f_mem_forth[node] += inst.memory
    n.fail_n1[node] = n.unalloc_mem()[node] <= n.r_mem[node]
    n.p_cnt[node] -= 1
    _subtract(n.p_tags[node], inst.excl_tags)
    n.conflicts[node] -= sum(t in n.p_tags[node] for t in inst.excl_tags)
    _subtract(n.loc_excl[node], _loc_excl_pairs(c, node, inst))
    n.loc_score[node] -= loc_score + len(inst.desired_loc - n.loc_tags[node])


def add_secondary(c: Cluster, node: int, inst: InstanceSpec, primary: int) -> None:
    n = c.nodes
    n.f_dsk[node] -= inst.dsk
    if n.excl[node]:
        n.f_sp[node] = -1 if inst.disk_spindles is None else n.f_sp[node] - inst.disk_spindles
    elif inst.local:
        n.i_sp[node] += inst.spindle_use
    peers = n.peers[node]
    peers[primary] = peers.get(primary, 0) + inst.sec_mem
    n.r_mem[node] = max(int(n.r_mem[node]), peers[primary])
    n.fail_n1[node] = n.unalloc_mem()[node] <= n.r_mem[node]
    n.s_cnt[node] += 1


def remove_secondary(c: Cluster, node: int, inst: InstanceSpec, primary: int) -> None:
    n = c.nodes
    if inst.local:
        n.f_dsk[node] += inst.dsk
        if not n.excl[node]:
            n.i_sp[node] -= inst.spindle_use
    if n.excl[node] and inst.disk_spindles is not None:
        n.f_sp[node] += inst.disk_spindles
    peers = n.peers[node]
    old = peers.get(primary, 0)
    new = old - inst.sec_mem
    if new > 0:
        peers[primary] = new
    else:
        peers.pop(primary, None)
    if old >= n.r_mem[node]:
        n.r_mem[node] = max(peers.values(), default=0)
    n.fail_n1[node] = n.unalloc_mem()[node] <= n.r_mem[node]
    n.s_cnt[node] -= 1


def _subtract(counter: Counter[Key], keys: Iterable[Key]) -> None:
    for key in keys:
        counter[key] -= 1
        if counter[key] <= 0:
            del counter[key]


def place_instance(c: Cluster, inst: InstanceSpec, primary: int, secondary: int = NO_NODE) -> int:
    """Add a new instance to the cluster on its nodes; returns its index."""
    loc = c.pair_location(primary, secondary)
    add_primary(c, primary, inst, loc)
    if secondary != NO_NODE:
        add_secondary(c, secondary, inst, primary)
    insts = c.instances
    idx = len(insts.names)
    insts.names.append(inst.name)
    insts.specs.append(inst)
    insts.pnode = np.append(insts.pnode, primary)
    insts.snode = np.append(insts.snode, secondary)
    insts.loc_score = np.append(insts.loc_score, loc)
    c.instance_index[inst.name] = idx
    return idx
