"""The moves of one DRBD instance, all kinds and targets at once: the instance leaves both its
nodes, then every candidate adds it back as primary on one node and as secondary on another
(the checks of `balance.apply` and `moves.apply`, on arrays).

All primary additions go through one pair of `primary_effect` calls (with and without the soft
checks; each candidate takes the one its move uses), all secondary additions through one pair
of `secondary_effect` calls: a few NumPy calls per instance, whatever the kinds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from app.cluster.model import NO_NODE, BoolArray, Cluster, FloatArray, IntArray
from app.engine.balance.bulk import mig
from app.engine.balance.candidates import KIND_RANK, Batch, map_change
from app.engine.balance.options import MoveKind
from app.engine.nodeops import primary_effect, remove_primary, remove_secondary, restore, snapshot
from app.engine.score.metrics import component_values, node_fields
from app.engine.score.secondary import peer_values, secondary_base, secondary_effect, secondary_pairs


@dataclass
class _Adds:
    """Additions of one role (primary or secondary), concatenated over the kinds."""

    nodes: list[IntArray]
    other: list[IntArray]  # the pair's other node (or the location partner of a primary)
    force: list[BoolArray]

    def put(self, nodes: IntArray, other: IntArray, force: bool) -> slice:
        start = sum(len(x) for x in self.nodes)
        self.nodes.append(nodes)
        self.other.append(other)
        self.force.append(np.full(len(nodes), force))
        return slice(start, start + len(nodes))

    def cat(self) -> tuple[IntArray, IntArray, BoolArray]:
        return np.concatenate(self.nodes), np.concatenate(self.other), np.concatenate(self.force)


def _mig(c: Cluster, src: int, dst: IntArray) -> BoolArray:
    """`checkMigration` from `src` to each of `dst`."""
    return mig(c, np.full(len(dst), src), dst)


def _checked(fail_soft: IntArray, fail_hard: IntArray, force: BoolArray) -> BoolArray:
    ok: BoolArray = np.where(force, fail_hard, fail_soft) == 0
    return ok


@dataclass
class KindCands:
    """One kind's moves of an instance to each of `targets`, valid (`ok`) or not, with the
    changed nodes' values."""

    kind: MoveKind
    slot: IntArray
    targets: IntArray
    changed: list[tuple[IntArray, FloatArray]]
    delta: FloatArray
    ok: BoolArray


@dataclass
class DrbdCands:
    instance: int
    failover: tuple[int, list[tuple[IntArray, FloatArray]], FloatArray] | None = None
    kinds: list[KindCands] = field(default_factory=list)


def drbd_candidates(c: Cluster, i: int, targets: IntArray, base: int, kinds: list[MoveKind],
                    failover: bool, known: Counter[tuple[str, str]], force: bool) -> DrbdCands:  # fmt: skip
    """The failover (if `failover`) and the `kinds` to each of `targets` of instance `i`;
    `base` is the instance's first order slot."""
    insts, n = c.instances, c.nodes
    spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    p_off = bool(n.offline[p])
    force_p, force_s = p_off or force, bool(n.offline[s]) or force
    count = len(targets)
    at_p, at_s = np.full(count, p), np.full(count, s)
    pri, sec = _Adds([], [], []), _Adds([], [], [])
    where: dict[str, tuple[slice, slice]] = {}
    for kind in kinds:  # (new primary, its partner, force), (new secondary, its primary, force)
        if kind == "replace_secondary":
            where[kind] = pri.put(at_p, targets, True), sec.put(targets, at_p, force_s)
        elif kind == "replace_and_failover":
            where[kind] = pri.put(targets, at_p, force), sec.put(at_p, targets, force_s)
        elif kind == "replace_primary":
            where[kind] = pri.put(targets, at_s, force_p), sec.put(at_s, targets, force_p)
        else:
            where[kind] = pri.put(at_s, targets, force_p), sec.put(targets, at_s, force_p)
    if "replace_primary" in kinds:  # the old secondary must run the instance meanwhile
        where["tmp"] = pri.put(np.array([s]), np.array([p]), force_p), slice(0, 0)
    if failover and not p_off:
        where["failover"] = (
            pri.put(np.array([s]), np.array([p]), force_p),
            sec.put(np.array([p]), np.array([s]), force_p),
        )
    elif failover:
        where["failover"] = pri.put(np.array([s]), np.array([p]), force_p), slice(0, 0)
    snap = snapshot(c, [p, s])
    remove_primary(c, p, spec, loc)
    remove_secondary(c, s, spec, p)
    both = component_values(node_fields(c, np.array([p, s])))
    left = {
        node: (np.full(count, node), np.repeat(both[:, k : k + 1], count, axis=1))
        for k, node in enumerate((p, s))
    }
    nodes, partner, forced = pri.cat()
    locs = c.pair_locations(nodes, partner)
    soft, hard = (primary_effect(c, nodes, spec, f, locs) for f in (False, True))
    pri_ok, pri_values = _checked(soft.fail, hard.fail, forced), component_values(soft.fields)
    sec_ok, sec_values = np.zeros(0, dtype=bool), np.zeros((pri_values.shape[0], 0))
    if sec.nodes:
        nodes_s, prim_s, forced_s = sec.cat()
        peer, pos = peer_values(c, prim_s, nodes_s), np.arange(len(nodes_s))  # shared by both checks
        soft_s, hard_s = (secondary_base(c, nodes_s, spec, f) for f in (False, True))
        fail_s, r_mem, fail_n1 = secondary_pairs(soft_s, pos, peer)
        sec_ok = _checked(fail_s, secondary_pairs(hard_s, pos, peer)[0], forced_s)
        sec_values = component_values(replace(soft_s.fields, r_mem=r_mem, fail_n1=fail_n1))
    fo_sec_ok, fo_sec_values = sec_ok, sec_values
    if failover and p_off:  # the old primary is offline: its disks are not checked
        eff = secondary_effect(c, np.array([s]), np.array([p]), spec, True, ignore_disks=True)
        fo_sec_ok, fo_sec_values = eff.fail == 0, component_values(eff.fields)
    restore(c, snap)
    out = DrbdCands(i)
    if failover:
        ps, ss = where["failover"]
        ok_f = bool(_mig(c, p, np.array([s]))[0] and pri_ok[ps][0])
        values_p = sec_values[:, ss] if not p_off else fo_sec_values
        if ok_f and bool((sec_ok[ss] if not p_off else fo_sec_ok)[0]):
            changed = [(np.array([p]), values_p), (np.array([s]), pri_values[:, ps])]
            out.failover = (base, changed, map_change(c, known, spec, p, np.array([s])))
    slot = base + 1 + 4 * targets
    mig_ps = bool(_mig(c, p, np.array([s]))[0])
    for kind in kinds:
        ps, ss = where[kind]
        if kind == "replace_secondary":
            changed = [left[s], (at_p, pri_values[:, ps]), (targets, sec_values[:, ss])]
            ok, delta = pri_ok[ps] & sec_ok[ss], np.zeros(count)
        elif kind == "replace_and_failover":
            changed = [left[s], (targets, pri_values[:, ps]), (at_p, sec_values[:, ss])]
            ok, delta = sec_ok[ss] & _mig(c, p, targets) & pri_ok[ps], map_change(c, known, spec, p, targets)
        elif kind == "replace_primary":
            tmp = mig_ps and bool(pri_ok[where["tmp"][0]][0])
            changed = [left[p], (targets, pri_values[:, ps]), (at_s, sec_values[:, ss])]
            ok = sec_ok[ss] & _mig(c, s, targets) & tmp & pri_ok[ps]
            delta = map_change(c, known, spec, p, targets)
        else:
            changed = [left[p], (at_s, pri_values[:, ps]), (targets, sec_values[:, ss])]
            ok, delta = pri_ok[ps] & mig_ps & sec_ok[ss], map_change(c, known, spec, p, at_s)
        out.kinds.append(KindCands(kind, slot + KIND_RANK[kind], targets, changed, delta, ok))
    return out


def emit(cands: DrbdCands, pairs: Batch, triples: Batch) -> None:
    """Add the valid candidates to the step's batches."""
    if cands.failover is not None:
        order, changed, delta = cands.failover
        pairs.add(np.array([order]), cands.instance, "failover", np.array([NO_NODE]), changed, delta)
    for kc in cands.kinds:
        triples.add(kc.slot, cands.instance, kc.kind, kc.targets, kc.changed, kc.delta, kc.ok)
