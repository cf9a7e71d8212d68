"""The moves of many DRBD instances at once, each to some targets: what `drbd.drbd_candidates`
computes for one instance, on arrays over (instance, target) pairs, for the instances whose
candidates depend only on their nodes (`Kept.keeps`: no exclusion tags, desired locations or
exclusive storage, both nodes online).

Each instance's nodes without it (hail's `removePri` on the primary, `removeSec` on the
secondary) are figured on arrays (`Left`); the additions then go through `primary_effect` and
`secondary_base` with those figures in place of the cluster's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from app.cluster.model import BoolArray, Cluster, FloatArray, IntArray
from app.engine.balance.options import MoveKind
from app.engine.nodeops import SpecColumns, primary_effect
from app.engine.score.metrics import NodeFields, component_values, node_fields
from app.engine.score.secondary import peer_values, secondary_base, secondary_pairs

T = TypeVar("T", SpecColumns, NodeFields)


@dataclass
class Left:
    """Instances `inst` taken off their nodes: the primaries' and secondaries' figures after,
    their component values (one row per instance), and whether each may run on its secondary
    meanwhile (ReplacePrimary's first check: migration allowed, added there as primary)."""

    inst: IntArray
    p: IntArray
    s: IntArray
    cols: SpecColumns
    at_p: NodeFields
    at_s: NodeFields
    values_p: FloatArray
    values_s: FloatArray
    meanwhile: BoolArray

    def take(self, k: IntArray) -> Left:
        """The entries `k` (one per pair)."""
        return Left(self.inst[k], self.p[k], self.s[k], _take(self.cols, k), _take(self.at_p, k),
                    _take(self.at_s, k), self.values_p[k], self.values_s[k], self.meanwhile[k])  # fmt: skip

    def put(self, k: IntArray, other: Left) -> None:
        """Set the entries `k` to those of `other`."""
        for mine, theirs in (
            (self, other),
            (self.cols, other.cols),
            (self.at_p, other.at_p),
            (self.at_s, other.at_s),
        ):
            for name, value in vars(mine).items():
                if isinstance(value, np.ndarray):
                    value[k] = getattr(theirs, name)


def _take(x: T, k: IntArray) -> T:
    arrays: dict[str, Any] = {
        name: value[k] for name, value in vars(x).items() if isinstance(value, np.ndarray)
    }
    return replace(x, **arrays)


def left(c: Cluster, inst: IntArray, force: bool) -> Left:
    insts, nodes = c.instances, c.nodes
    p, s = insts.pnode[inst], insts.snode[inst]
    cols = SpecColumns.of([insts.specs[i] for i in inst.tolist()])
    at_p, at_s = node_fields(c, p), node_fields(c, s)
    unalloc = at_p.unalloc + np.where(cols.uses_mem, cols.memory, 0)
    at_p = replace(
        at_p,
        unalloc=unalloc,
        f_dsk=at_p.f_dsk + cols.dsk,
        i_sp=at_p.i_sp - cols.spindle_use,
        u_cpu=at_p.u_cpu - np.where(cols.online, cols.vcpus, 0),
        f_mem_forth=at_p.f_mem_forth + cols.memory,
        fail_n1=unalloc <= at_p.r_mem,
        p_cnt=at_p.p_cnt - 1,
        loc_score=at_p.loc_score - insts.loc_score[inst],
    )
    r_mem = np.array(
        [_reserved(nodes.peers[b], a, int(nodes.r_mem[b]), m)
         for a, b, m in zip(p.tolist(), s.tolist(), cols.sec_mem.tolist(), strict=True)],
        dtype=np.int64,
    )  # fmt: skip
    at_s = replace(
        at_s,
        f_dsk=at_s.f_dsk + cols.dsk,
        i_sp=at_s.i_sp - cols.spindle_use,
        r_mem=r_mem,
        fail_n1=at_s.unalloc <= r_mem,
        s_cnt=at_s.s_cnt - 1,
    )
    locs = c.pair_locations(s, p)
    meanwhile = (primary_effect(c, s, cols, force, locs, at_s).fail == 0) & mig(c, p, s)
    return Left(inst, p, s, cols, at_p, at_s, component_values(at_p).T, component_values(at_s).T, meanwhile)


def _reserved(peers: dict[int, int], primary: int, r_mem: int, mem: int) -> int:
    """`removeSec`'s reserved memory of a secondary losing `mem` MiB of `primary`'s."""
    old = peers.get(primary, 0)
    if old < r_mem:
        return r_mem
    rest = [v for k, v in peers.items() if k != primary]
    return max(rest + ([old - mem] if old - mem > 0 else []), default=0)


def mig(c: Cluster, src: IntArray, dst: IntArray) -> BoolArray:
    """`checkMigration` from each `src` to its `dst`."""
    n = c.nodes
    if not any(n.mig_tags):
        return np.ones(len(src), dtype=bool)
    pairs = zip(src.tolist(), dst.tolist(), strict=True)
    return np.array([n.mig_tags[a] <= n.rmig_tags[b] for a, b in pairs], dtype=bool)


Changed = list[tuple[IntArray, FloatArray]]


def _primary(c: Cluster, nodes: IntArray, partner: IntArray, cols: SpecColumns, force: bool,
             fields: NodeFields | None = None) -> tuple[BoolArray, FloatArray]:  # fmt: skip
    eff = primary_effect(c, nodes, cols, force, c.pair_locations(nodes, partner), fields)
    return eff.fail == 0, component_values(eff.fields)


def _secondary(c: Cluster, nodes: IntArray, primary: IntArray, cols: SpecColumns, force: bool,
               fields: NodeFields | None = None) -> tuple[BoolArray, FloatArray]:  # fmt: skip
    base = secondary_base(c, nodes, cols, force, fields=fields)
    fail, r_mem, fail_n1 = secondary_pairs(base, np.arange(len(nodes)), peer_values(c, primary, nodes))
    return fail == 0, component_values(replace(base.fields, r_mem=r_mem, fail_n1=fail_n1))


def failovers(c: Cluster, lf: Left, force: bool) -> tuple[BoolArray, Changed]:
    """Each instance's failover: validity and changed nodes (the primary, then the secondary)."""
    ok_p, at_s = _primary(c, lf.s, lf.p, lf.cols, force, lf.at_s)
    ok_s, at_p = _secondary(c, lf.p, lf.s, lf.cols, force, lf.at_p)
    return ok_p & ok_s & mig(c, lf.p, lf.s), [(lf.p, at_p), (lf.s, at_s)]


def moves(c: Cluster, lf: Left, t: IntArray, kind: MoveKind, force: bool) -> tuple[BoolArray, Changed]:
    """Move `kind` of each pair's instance (`lf`, one entry per pair) to `t`: validity and
    changed nodes in `drbd_candidates`' order, the first the node it leaves (values of `lf`:
    its secondary for the kinds that keep the primary, else its primary)."""
    p, s, cols = lf.p, lf.s, lf.cols
    if kind == "replace_secondary":
        ok_p, new_p = _primary(c, p, t, cols, True, lf.at_p)
        ok_t, new_t = _secondary(c, t, p, cols, force)
        return ok_p & ok_t, [(s, lf.values_s.T), (p, new_p), (t, new_t)]
    if kind == "replace_and_failover":
        ok_t, new_t = _primary(c, t, p, cols, force)
        ok_p, new_p = _secondary(c, p, t, cols, force, lf.at_p)
        return ok_p & mig(c, p, t) & ok_t, [(s, lf.values_s.T), (t, new_t), (p, new_p)]
    if kind == "replace_primary":
        ok_t, new_t = _primary(c, t, s, cols, force)
        ok_s, new_s = _secondary(c, s, t, cols, force, lf.at_s)
        return ok_s & mig(c, s, t) & lf.meanwhile & ok_t, [(p, lf.values_p.T), (t, new_t), (s, new_s)]
    ok_s, new_s = _primary(c, s, t, cols, force, lf.at_s)
    ok_t, new_t = _secondary(c, t, s, cols, force)
    return ok_s & mig(c, p, s) & ok_t, [(p, lf.values_p.T), (s, new_s), (t, new_t)]
