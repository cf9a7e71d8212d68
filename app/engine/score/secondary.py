"""A DRBD secondary added to candidate nodes, on arrays (hail's `addSecExEx`, ALGORITHM.md 3.4).

Everything but the memory a secondary reserves for its primary depends on the node alone, so
pair searches check and score it once per node (`secondary_base`) and finish each pair cheaply
(`secondary_pairs`, `secondary_values`); `secondary_effect` does both for a list of pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import chain

import numpy as np

from app.cluster.model import BoolArray, Cluster, FloatArray, InstanceSpec, IntArray
from app.engine.checks.failures import Fail
from app.engine.nodeops import Effect, SpecColumns, spindles_after
from app.engine.score.metrics import (
    N1_ROW,
    RESERVE_ROWS,
    NodeFields,
    component_values,
    node_fields,
    reserve_values,
)


def peer_values(c: Cluster, pidx: IntArray, sidx: IntArray) -> IntArray:
    """Memory each secondary `sidx[k]` already reserves for primary `pidx[k]`."""
    peers = c.nodes.peers
    n = len(c.nodes)
    secondaries, rows = distinct(sidx, n)
    if len(pidx) <= sum(len(peers[s]) for s in secondaries.tolist()):
        return np.array(
            [peers[s].get(p, 0) for p, s in zip(pidx.tolist(), sidx.tolist(), strict=True)], np.int64
        )
    # Many pairs among few nodes (one group's): a dense (secondary, primary) table of them.
    primaries, cols = distinct(pidx, n)
    at_p, at_s, values = peer_pairs(c, primaries, secondaries)
    table = np.zeros((len(secondaries), len(primaries)), dtype=np.int64)
    table[at_s, at_p] = values
    out: IntArray = table[rows, cols]
    return out


def peer_pairs(c: Cluster, primaries: IntArray, secondaries: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The pairs (primaries[a], secondaries[b]) where the secondary already reserves memory for
    the primary (it holds the disks of DRBD instances of it): a, b and the memory."""
    peers = [c.nodes.peers[s] for s in secondaries.tolist()]
    sizes = np.fromiter(map(len, peers), np.int64, len(peers))
    count = int(sizes.sum())
    keys = np.fromiter(chain.from_iterable(peers), np.int64, count)
    values = np.fromiter(chain.from_iterable(map(dict.values, peers)), np.int64, count)
    pos = np.full(len(c.nodes), -1, dtype=np.int64)
    pos[primaries] = np.arange(len(primaries))
    at_p = pos[keys]
    keep = at_p >= 0
    return at_p[keep], np.repeat(np.arange(len(peers)), sizes)[keep], values[keep]


def distinct(idx: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """The distinct nodes of `idx` (in node order) and each entry's position among them."""
    seen = np.zeros(n, dtype=bool)
    seen[idx] = True
    nodes = np.flatnonzero(seen)
    pos = np.zeros(n, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    return nodes, pos[idx]


@dataclass
class SecondaryBase:
    """`inst` added as DRBD secondary on each node of `nodes`, but for what depends on the
    primary (the memory the node reserves for it): `fields` keep r_mem and the N+1 flag of
    before, `first` and `last` are the failures of the checks before and after the N+1 one.
    Pairs are then finished by `secondary_pairs`, cheaply: all else is per node."""

    nodes: IntArray
    first: IntArray
    last: IntArray
    fields: NodeFields
    strict: bool
    needed: int | IntArray  # per node with `SpecColumns`

    @cached_property
    def values(self) -> FloatArray:
        """Component values of `nodes` afterwards, but for the rows that depend on the primary."""
        return component_values(self.fields)


def secondary_base(
    c: Cluster,
    sidx: IntArray,
    inst: InstanceSpec | SpecColumns,
    force: bool = False,
    ignore_disks: bool = False,
    fields: NodeFields | None = None,
) -> SecondaryBase:
    """`fields`: the nodes' figures if not those of `c`."""
    n = c.nodes
    f = node_fields(c, sidx) if fields is None else fields
    strict = not force
    needed = inst.sec_mem
    new_dsk = f.f_dsk - inst.dsk
    new_fsp = spindles_after(c, sidx, inst, f.f_sp)
    excl = n.excl[sidx]
    new_isp = np.where(excl, 0.0, f.i_sp + inst.spindle_use)
    first: list[tuple[object, Fail]] = [(np.full(len(sidx), inst.template != "drbd"), Fail.DISK)]
    if not ignore_disks:
        first.append((new_dsk <= 0, Fail.DISK))
    first.append((excl & (new_fsp < 0), Fail.SPINDLES))
    last: list[tuple[object, Fail]] = []
    if strict:
        first += [(new_isp > f.hi_sp, Fail.DISK), (needed >= f.unalloc, Fail.MEM)]
        last += [(new_dsk <= 0, Fail.DISK), (needed >= f.f_mem_forth, Fail.MEM)]  # shadow (3.4)
    fields = replace(f, f_dsk=new_dsk, f_sp=new_fsp, i_sp=new_isp, s_cnt=f.s_cnt + 1)
    return SecondaryBase(sidx, _first_failure(first, len(sidx)), _first_failure(last, len(sidx)),
                         fields, strict, needed)  # fmt: skip


def _first_failure(checks: list[tuple[object, Fail]], size: int) -> IntArray:
    fail = np.zeros(size, dtype=np.int64)
    for cond, mode in checks:
        fail = np.where((fail == 0) & np.asarray(cond), int(mode), fail)
    return fail


def secondary_pairs(
    base: SecondaryBase, pos: IntArray, peer: IntArray
) -> tuple[IntArray, IntArray, BoolArray]:
    """Per pair k, the secondary `base.nodes[pos[k]]` for a primary it already reserves
    `peer[k]` MiB for: the failure, the new reserved memory and the new N+1 flag."""
    f = base.fields
    r_mem: IntArray = np.maximum(f.r_mem[pos], peer + base.needed)
    fail_n1: BoolArray = f.unalloc[pos] <= r_mem
    fail = base.first[pos]
    if base.strict:
        after = np.where(fail_n1 & ~f.fail_n1[pos], int(Fail.MEM), base.last[pos])
        fail = np.where(fail > 0, fail, after)
    return fail, r_mem, fail_n1


@dataclass
class PairSecondaries:
    """The secondaries of many pairs: their figures once per node (`base`), and per pair the
    node's position in `base.nodes` and the memory it already reserves for the pair's primary."""

    base: SecondaryBase
    pos: IntArray
    peer: IntArray

    def finish(self, block: slice) -> tuple[IntArray, IntArray, BoolArray]:
        """`secondary_pairs` of the pairs in `block`."""
        return secondary_pairs(self.base, self.pos[block], self.peer[block])


def pair_secondaries(
    c: Cluster, pair_p: IntArray, pair_s: IntArray, inst: InstanceSpec, force: bool = False
) -> PairSecondaries:
    nodes, pos = distinct(pair_s, len(c.nodes))
    return PairSecondaries(secondary_base(c, nodes, inst, force), pos, peer_values(c, pair_p, pair_s))


def secondary_values(
    base: SecondaryBase, pos: IntArray, r_mem: IntArray, fail_n1: BoolArray, rows: Sequence[int]
) -> FloatArray:
    """Component values `rows` of each pair's secondary `base.nodes[pos[k]]` once it reserves
    `r_mem[k]` with N+1 flag `fail_n1[k]` (from `secondary_pairs`): per node but for those."""
    f = base.fields
    both = (f.p_cnt + f.s_cnt).astype(np.float64)[pos]
    n1, p_rem = reserve_values(r_mem, f.t_mem[pos], fail_n1, both)
    out = np.empty((len(rows), len(pos)))
    for j, row in enumerate(rows):
        out[j] = n1 if row == N1_ROW else p_rem if row in RESERVE_ROWS else base.values[row, pos]
    return out


def secondary_effect(
    c: Cluster,
    pidx: IntArray,
    sidx: IntArray,
    inst: InstanceSpec,
    force: bool = False,
    ignore_disks: bool = False,
) -> Effect:
    """Adding `inst` as DRBD secondary on `sidx[k]` for primary `pidx[k]`."""
    base = secondary_base(c, sidx, inst, force, ignore_disks)
    fail, r_mem, fail_n1 = secondary_pairs(base, np.arange(len(sidx)), peer_values(c, pidx, sidx))
    return Effect(fail, replace(base.fields, r_mem=r_mem, fail_n1=fail_n1))
