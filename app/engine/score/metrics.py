"""hail's cluster score (ALGORITHM.md section 4): 20 weighted components, lower is better.

Per-node component values come from `component_values`, which works on arrays, so the same
code scores the current nodes and any number of "what if" versions of them at once.
Statistics are kept as hail keeps them (count, sum, variance) and updated with hail's
formula, so that scores match hail's to the last bit in the common cases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.cluster.model import BoolArray, Cluster, FloatArray, IntArray


class Component(NamedTuple):
    """One term of the score. `kind`: "std" (standard deviation over online nodes), "sum"
    (over online nodes), "off" (sum over offline nodes) or "map" (location/exclusion pairs).
    `value`: the per-node value it takes (components with the same value have equal rows).
    `secondary`: how a DRBD secondary added to an online node changes it: "" not at all,
    "node" by the node's own figures, "peer" also by the memory it reserves for its primary."""

    weight: float
    name: str
    kind: str
    value: str
    secondary: str = ""


# Order matters: it is hail's summation order.
COMPONENTS: tuple[Component, ...] = (
    Component(0.5, "free_mem_cv", "std", "p_mem"),
    Component(0.5, "free_disk_cv", "std", "p_dsk", "node"),
    Component(1.0, "n1_cnt", "sum", "n1", "peer"),
    Component(1.0, "reserved_mem_cv", "std", "p_rem", "peer"),
    Component(4.0, "offline_all_cnt", "off", "both"),
    Component(16.0, "offline_pri_cnt", "off", "pri"),
    Component(0.5, "vcpu_ratio_cv", "std", "p_cpu"),
    Component(1.0, "cpu_load_cv", "std", "pri"),
    Component(1.0, "mem_load_cv", "std", "pri"),
    Component(1.0, "disk_load_cv", "std", "both", "node"),
    Component(1.0, "net_load_cv", "std", "pri"),
    Component(2.0, "pri_tags_score", "sum", "conflicts"),
    Component(0.5, "spindles_cv", "std", "spindles", "node"),
    Component(0.5, "free_mem_cv_forth", "std", "p_mem_forth"),
    Component(0.5, "free_disk_cv_forth", "std", "p_dsk", "node"),
    Component(0.5, "vcpu_ratio_cv_forth", "std", "p_cpu"),
    Component(0.5, "spindles_cv_forth", "std", "spindles", "node"),
    Component(1.0, "location_score", "sum", "loc_score"),
    Component(1.0, "location_exclusion_score", "map", "zeros"),
    Component(0.25, "reserved_mem_rtotal", "sum", "p_rem", "peer"),
)
ROW = {comp.name: k for k, comp in enumerate(COMPONENTS)}
WEIGHTS = np.array([comp.weight for comp in COMPONENTS])
STD = np.array([comp.kind == "std" for comp in COMPONENTS])
ONLINE = np.array([comp.kind != "off" for comp in COMPONENTS])
# Row indices as plain ints, read in inner loops.
MAP_ROW = ROW["location_exclusion_score"]
LOCATION_ROW = ROW["location_score"]
N1_ROW = ROW["n1_cnt"]
RESERVE_ROWS = (ROW["reserved_mem_cv"], ROW["reserved_mem_rtotal"])  # the reserved memory fraction
PEER_ROWS = tuple(k for k, comp in enumerate(COMPONENTS) if comp.secondary == "peer")
SECONDARY_ROWS = tuple(k for k, comp in enumerate(COMPONENTS) if comp.secondary)
K = len(COMPONENTS)
FOLD_ACCUMULATE = 1024  # values per node up to which `fold` accumulates (a few dozen candidates)


@dataclass
class NodeFields:
    """The node figures the score reads; arrays of any (broadcastable) shape."""

    unalloc: NDArray[np.int64] | NDArray[np.float64]
    t_mem: FloatArray
    f_dsk: IntArray
    t_dsk: FloatArray
    excl: BoolArray
    f_sp: IntArray
    t_sp: IntArray
    fail_n1: BoolArray
    p_cnt: IntArray
    s_cnt: IntArray
    r_mem: IntArray
    u_cpu: IntArray
    t_cpu: FloatArray
    conflicts: IntArray
    i_sp: FloatArray
    hi_sp: FloatArray
    f_mem_forth: IntArray
    loc_score: IntArray


def node_fields(c: Cluster, idx: IntArray | slice) -> NodeFields:
    n = c.nodes
    return NodeFields(
        unalloc=n.unalloc_mem()[idx],
        t_mem=n.t_mem[idx],
        f_dsk=n.f_dsk[idx],
        t_dsk=n.t_dsk[idx],
        excl=n.excl[idx],
        f_sp=n.f_sp[idx],
        t_sp=n.t_sp[idx],
        fail_n1=n.fail_n1[idx],
        p_cnt=n.p_cnt[idx],
        s_cnt=n.s_cnt[idx],
        r_mem=n.r_mem[idx],
        u_cpu=n.u_cpu[idx],
        t_cpu=n.t_cpu[idx],
        conflicts=n.conflicts[idx],
        i_sp=n.i_sp[idx],
        hi_sp=n.hi_sp[idx],
        f_mem_forth=n.f_mem_forth[idx],
        loc_score=n.loc_score[idx],
    )


def component_values(f: NodeFields) -> FloatArray:
    """Per-node values of the 20 components, stacked on a new first axis (the map row is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p_mem = f.unalloc / f.t_mem
        p_dsk = np.where(
            f.excl,
            np.where(f.t_sp == 0, 1.0, f.f_sp / np.where(f.t_sp == 0, 1, f.t_sp)),
            np.where(f.t_dsk == 0, 1.0, f.f_dsk / np.where(f.t_dsk == 0, 1, f.t_dsk)),
        )
        p_cpu = f.u_cpu / f.t_cpu
        spindles = np.where(f.excl, 0.0, f.i_sp / f.hi_sp)
        p_mem_forth = f.f_mem_forth / f.t_mem
    pri = f.p_cnt.astype(np.float64)
    both = (f.p_cnt + f.s_cnt).astype(np.float64)
    n1, p_rem = reserve_values(f.r_mem, f.t_mem, f.fail_n1, both)
    zeros = np.zeros_like(p_mem)
    by_value = {
        "p_mem": p_mem,
        "p_dsk": p_dsk,
        "n1": n1,
        "p_rem": p_rem,
        "both": both,
        "pri": pri,
        "p_cpu": p_cpu,
        "conflicts": f.conflicts.astype(np.float64),
        "spindles": spindles,
        "p_mem_forth": p_mem_forth,
        "loc_score": f.loc_score.astype(np.float64),
        "zeros": zeros,
    }
    out = np.empty((K, *p_mem.shape))
    for k, comp in enumerate(COMPONENTS):
        out[k] = by_value[comp.value]
    return out


def reserve_values(
    r_mem: IntArray, t_mem: FloatArray, fail_n1: BoolArray, both: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The components that follow the memory a node reserves for its DRBD peers: the N+1
    count (N1_ROW) and the reserved memory fraction (RESERVE_ROWS). `both`: instance count."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p_rem: FloatArray = r_mem / t_mem
    n1: FloatArray = np.where(fail_n1, both, 0.0)
    return n1, p_rem


@dataclass
class Stats:
    """hail's `Statistics` for every component: count, sum and variance (std rows) or sum."""

    count: float
    total: FloatArray  # shape (K, ...) : sums (for std rows the sum of values)
    var: FloatArray  # shape (K, ...) : variance for std rows, unused otherwise
    loc_excl: Counter[tuple[str, str]]

    def score(self) -> FloatArray:
        """Weighted sum in hail's order (a left fold starting at 0)."""
        acc = np.zeros(self.total.shape[1:])
        for k in range(K):
            value = np.sqrt(self.var[k]) if STD[k] else self.total[k]
            acc = acc + WEIGHTS[k] * value
        return acc


def fold(values: FloatArray) -> FloatArray:
    """Left-to-right sums over the first axis, as Haskell's foldl (NumPy's sums are pairwise
    and round differently): one vector addition per node for large blocks of candidates,
    NumPy's (sequential) accumulate for a plain node list or a few candidates, whichever is
    faster."""
    total: FloatArray = np.zeros(values.shape[1:])
    if values.ndim > 2 and total.size > FOLD_ACCUMULATE:
        for row in values:
            total = total + row
    elif len(values):
        total = np.add.accumulate(values, axis=0)[-1]
    return total


def refold(on: FloatArray, off: FloatArray) -> tuple[FloatArray, FloatArray]:
    """hail's compCVNodes from scratch on node values, nodes first: `on` (online nodes, at
    least one) and `off` of shape (nodes, K, ...). Per component the sum (over the offline
    nodes for "off" rows) and, for "std" rows, the variance over the online nodes."""
    with np.errstate(invalid="ignore"):  # offline nodes without data: only their sums count
        total_on, total_off = fold(on), fold(off)
        dev = on - total_on / float(len(on))
        dev *= dev
        var = fold(dev) / float(len(on))
    shape = (K,) + (1,) * (total_on.ndim - 1)
    total: FloatArray = np.where(ONLINE.reshape(shape), total_on, total_off)
    std_var: FloatArray = np.where(STD.reshape(shape), var, 0.0)
    return total, std_var


def map_value(m: Counter[tuple[str, str]]) -> float:
    return float(sum(m.values()) - len(m))


def stats_of(c: Cluster, idx: IntArray, values: tuple[FloatArray, FloatArray] | None = None) -> Stats:
    """Exact statistics of a node list (hail's compClusterStatistics); `values`: the component
    values of its online and of its offline nodes, if known."""
    offline = c.nodes.offline[idx]
    online_idx = idx[~offline]
    loc_excl: Counter[tuple[str, str]] = Counter()
    maps = c.nodes.loc_excl
    for i in online_idx.tolist():
        if maps[i]:
            loc_excl.update(maps[i])
    if len(online_idx) == 0:  # hail: no online node collapses every component to nothing
        return Stats(0.0, np.zeros(K), np.zeros(K), loc_excl)
    if values is None:
        values = component_values(node_fields(c, online_idx)), component_values(node_fields(c, idx[offline]))
    values_on, values_off = values
    total, var = refold(values_on.T, values_off.T)
    total[MAP_ROW] = map_value(loc_excl)
    return Stats(float(len(online_idx)), total, var, loc_excl)


def score_of(c: Cluster, idx: IntArray) -> float:
    return float(stats_of(c, idx).score())


def update(
    stats: Stats,
    old: FloatArray,
    new: FloatArray,
    map_delta: FloatArray | float = 0.0,
    online: BoolArray | bool = True,
) -> Stats:
    """Replace one node's values `old` (shape (K,) or (K, ...)) by `new` (shape (K, ...)),
    as hail's updateStatistics: an online node changes the online components, an offline
    one the offline sums. `map_delta` is the change of the location/exclusion map value."""
    shape = (K,) + (1,) * (new.ndim - 1)
    old = np.broadcast_to(old.reshape(shape) if old.ndim == 1 else old, new.shape)
    total = np.broadcast_to(stats.total.reshape(shape) if stats.total.ndim == 1 else stats.total, new.shape)
    var = np.broadcast_to(stats.var.reshape(shape) if stats.var.ndim == 1 else stats.var, new.shape)
    rows_on = ONLINE.reshape(shape)
    chosen = rows_on if online is True else np.where(np.asarray(online), rows_on, ~rows_on)
    chosen = np.broadcast_to(chosen, new.shape)
    std = STD.reshape(shape)
    # Rows where no candidate changes (finite, equal values) would come out bit-identical:
    # candidate pairs change a few rows of many, so only those are computed then.
    axes = tuple(range(1, new.ndim))
    rows = np.flatnonzero(np.any((new != old) | ~np.isfinite(new), axis=axes)) if axes else np.arange(K)
    if len(rows) == K:
        new_total, new_var = updated_rows(stats.count, old, new, total, var, chosen, std)
    else:
        new_total, new_var = np.array(total), np.array(var)
        new_total[rows], new_var[rows] = updated_rows(
            stats.count, old[rows], new[rows], total[rows], var[rows], chosen[rows], std[rows]
        )
    new_total[MAP_ROW] = total[MAP_ROW] + map_delta
    return Stats(stats.count, new_total, new_var, stats.loc_excl)


def updated_rows(
    n: float,
    old: FloatArray,
    new: FloatArray,
    total: FloatArray,
    var: FloatArray,
    chosen: BoolArray | bool,
    std: BoolArray | bool,
) -> tuple[FloatArray, FloatArray]:
    """hail's updateStatistics on some rows (or one): the new sums and variances when one node
    per candidate goes from `old` to `new`. `chosen`: where a row changes at all (an online
    node changes the online components, an offline one the offline sums); `std`: the rows kept
    as variances (the others' `var` is returned as it is)."""
    # an offline node without run-time data has inf/nan fractions; only its (finite)
    # offline sums are chosen, the rest is computed and dropped
    with np.errstate(divide="ignore", invalid="ignore"):
        ds = new - old
        new_total: FloatArray = np.where(chosen, total + ds, total)
        if not np.any(std):
            return new_total, var
        dss = new * new - old * old
        dnnvar = (n * dss - 2 * total * ds) - ds * ds
        new_var: FloatArray = np.where(chosen & std, np.maximum(0.0, var + dnnvar / (n * n)), var)
    return new_total, new_var


def map_delta(c: Cluster, stats: Stats, idx: IntArray, excl_tags: tuple[str, ...]) -> FloatArray:
    """Change of the location/exclusion map value when an instance with `excl_tags`
    becomes primary on each node of `idx` (a pair already in the map adds 1; the map only
    counts online nodes, so an offline node adds nothing)."""
    if not excl_tags or not stats.loc_excl:
        return np.zeros(len(idx))
    known = stats.loc_excl
    offline = c.nodes.offline
    return np.array(
        [
            0 if offline[i] else sum((loc, ex) in known for loc in c.nodes.loc_tags[i] for ex in excl_tags)
            for i in idx
        ],
        dtype=np.float64,
    )
