"""Every move hbal considers for one instance (`checkInstanceMove`, `possibleMoves`), with the
component values of the nodes it changes, computed for all targets at once.

A candidate changes two nodes (failovers) or three (moves with a new node); `Batch` holds
candidates with the same number of changed nodes, each with its position in hbal's order
(`order`: hbal keeps the first of equal scores). The cluster is left as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from app.cluster.model import NO_NODE, Cluster, FloatArray, InstanceSpec, IntArray
from app.engine.balance.options import BalanceOptions, MoveKind
from app.engine.moves.apply import failover
from app.engine.nodeops import primary_effect, remove_primary, remove_secondary, restore, snapshot
from app.engine.score.listscore import Change
from app.engine.score.metrics import component_values, node_fields
from app.engine.score.secondary import secondary_effect

KIND_RANK: dict[MoveKind, int] = {
    "replace_secondary": 0,
    "replace_and_failover": 1,
    "replace_primary": 2,
    "failover_and_replace": 3,
    "failover_to_any": 0,
}
PER_TARGET = 4  # order slots per target node


@dataclass
class Batch:
    """Candidates changing `width` nodes: per candidate its order, instance, kind, target, the
    changed nodes' values and the change of the location/exclusion map value."""

    width: int
    order: list[IntArray] = field(default_factory=list)
    inst: list[IntArray] = field(default_factory=list)
    kind: list[list[MoveKind]] = field(default_factory=list)
    target: list[IntArray] = field(default_factory=list)
    nodes: list[list[IntArray]] = field(default_factory=list)
    values: list[list[FloatArray]] = field(default_factory=list)
    map_delta: list[FloatArray] = field(default_factory=list)

    def add(self, order: IntArray, i: int, kind: MoveKind, target: IntArray,
            changed: list[tuple[IntArray, FloatArray]], map_delta: FloatArray) -> None:  # fmt: skip
        self.order.append(order)
        self.inst.append(np.full(len(order), i, dtype=np.int64))
        self.kind.append([kind] * len(order))
        self.target.append(target)
        self.nodes.append([n for n, _ in changed])
        self.values.append([v for _, v in changed])
        self.map_delta.append(map_delta)

    def changes(self) -> list[Change]:
        return [
            Change(
                np.concatenate([ns[k] for ns in self.nodes]),
                np.concatenate([vs[k] for vs in self.values], axis=1),
            )
            for k in range(self.width)
        ]


def _values(c: Cluster, node: int, count: int) -> tuple[IntArray, FloatArray]:
    """One node's values as they are now, repeated for `count` candidates."""
    v = component_values(node_fields(c, np.array([node])))
    return np.full(count, node, dtype=np.int64), np.repeat(v, count, axis=1)


def map_change(
    c: Cluster, known: Counter[tuple[str, str]], spec: InstanceSpec, old: int, new: IntArray
) -> FloatArray:
    """Change of the location/exclusion map value (over the online nodes, `known`) when the
    instance's primary goes from `old` to each of `new`."""
    out = np.zeros(len(new))
    if not spec.excl_tags or not known:  # an empty map gains no pair twice from one instance
        return out
    off, loc = c.nodes.offline, c.nodes.loc_tags

    def value(m: Counter[tuple[str, str]]) -> int:
        return sum(v for v in m.values() if v > 0) - sum(1 for v in m.values() if v > 0)

    before = value(known)
    gone = Counter({(t, ex): 1 for t in loc[old] for ex in spec.excl_tags}) if not off[old] else Counter()
    for k, n in enumerate(new.tolist()):
        m = known - gone if gone else Counter(known)
        if not off[n]:
            m.update((t, ex) for t in loc[n] for ex in spec.excl_tags)
        out[k] = value(m) - before
    return out


def drbd_kinds(opts: BalanceOptions, use_secondary: bool, primary_offline: bool) -> list[MoveKind]:
    """`possibleMoves` for a DRBD instance, per target, in hbal's order."""
    if not opts.disk_moves:
        return []
    if not opts.instance_moves or opts.restricted_migration and not primary_offline:
        return ["replace_secondary"]
    if not use_secondary:
        return ["replace_secondary", "replace_and_failover"]
    if opts.restricted_migration:
        return ["replace_secondary", "replace_and_failover", "failover_and_replace"]
    return ["replace_secondary", "replace_and_failover", "replace_primary", "failover_and_replace"]


def add_instance(c: Cluster, i: int, rank: int, online: IntArray, opts: BalanceOptions,
                 known: Counter[tuple[str, str]], pairs: Batch, triples: Batch) -> None:  # fmt: skip
    """Every candidate move of instance `i` (the `rank`-th moving one) to the `online` nodes."""
    insts, force = c.instances, opts.ignore_soft_errors
    spec, p, s = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i])
    targets = online[(online != p) & (online != s)]
    slot = rank * (1 + PER_TARGET * len(c.nodes)) + 1 + PER_TARGET * targets
    if spec.template != "drbd":
        if opts.instance_moves and len(targets):
            _to_any(c, i, targets, slot, known, force, pairs)
        return
    use_secondary = bool(np.any(online == s)) and opts.instance_moves
    if use_secondary:
        _failover(c, i, rank * (1 + PER_TARGET * len(c.nodes)), known, force, pairs)
    kinds = drbd_kinds(opts, use_secondary, bool(c.nodes.offline[p]))
    if kinds and len(targets):
        _drbd(c, i, targets, slot, kinds, known, force, triples)


def _failover(
    c: Cluster, i: int, order: int, known: Counter[tuple[str, str]], force: bool, out: Batch
) -> None:
    insts = c.instances
    p, s = int(insts.pnode[i]), int(insts.snode[i])
    snap = snapshot(c, [p, s])
    if failover(c, i, force) is None:
        v = component_values(node_fields(c, np.array([p, s])))
        restore(c, snap)
        insts.pnode[i], insts.snode[i] = p, s
        one = np.array([order])
        delta = map_change(c, known, insts.specs[i], p, np.array([s]))
        out.add(
            one,
            i,
            "failover",
            np.array([NO_NODE]),
            [(np.array([p]), v[:, :1]), (np.array([s]), v[:, 1:])],
            delta,
        )


def _to_any(c: Cluster, i: int, targets: IntArray, slot: IntArray, known: Counter[tuple[str, str]],
            force: bool, out: Batch) -> None:  # fmt: skip
    insts, n = c.instances, c.nodes
    spec, p, loc = insts.specs[i], int(insts.pnode[i]), int(insts.loc_score[i])
    mig = np.array([n.mig_tags[p] <= n.rmig_tags[t] for t in targets.tolist()], dtype=bool)
    eff = primary_effect(c, targets, spec, bool(n.offline[p]) or force, loc)
    ok = mig & (eff.fail == 0)
    if not ok.any():
        return
    snap = snapshot(c, [p])
    remove_primary(c, p, spec, loc)
    old = _values(c, p, int(ok.sum()))
    restore(c, snap)
    new = (targets[ok], component_values(eff.fields)[:, ok])
    out.add(
        slot[ok], i, "failover_to_any", targets[ok], [old, new], map_change(c, known, spec, p, targets[ok])
    )


def _drbd(c: Cluster, i: int, targets: IntArray, slot: IntArray, kinds: list[MoveKind],
          known: Counter[tuple[str, str]], force: bool, out: Batch) -> None:  # fmt: skip
    """The moves with a new node: the instance leaves both nodes, then each kind adds it back
    on its new pair (the checks of `balance.apply._combined` and `replace_secondary`)."""
    insts, n = c.instances, c.nodes
    spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    force_p, force_s = bool(n.offline[p]) or force, bool(n.offline[s]) or force
    count = len(targets)
    at_p, at_s = np.full(count, p), np.full(count, s)
    mig_to = np.array([n.mig_tags[p] <= n.rmig_tags[t] for t in targets.tolist()], dtype=bool)
    mig_ps = n.mig_tags[p] <= n.rmig_tags[s]
    mig_st = np.array([n.mig_tags[s] <= n.rmig_tags[t] for t in targets.tolist()], dtype=bool)
    snap = snapshot(c, [p, s])
    remove_primary(c, p, spec, loc)
    remove_secondary(c, s, spec, p)
    left_p, left_s = _values(c, p, count), _values(c, s, count)
    for kind in kinds:
        if kind == "replace_secondary":
            sec = secondary_effect(c, at_p, targets, spec, force_s)
            pri = primary_effect(c, at_p, spec, True, c.pair_locations(at_p, targets))
            ok = (sec.fail == 0) & (pri.fail == 0)
            changed = [left_s, (at_p, component_values(pri.fields)), (targets, component_values(sec.fields))]
            delta = np.zeros(count)
        elif kind == "replace_and_failover":
            pri = primary_effect(c, targets, spec, force, c.pair_locations(targets, at_p))
            sec = secondary_effect(c, targets, at_p, spec, force_s)
            ok = mig_to & (pri.fail == 0) & (sec.fail == 0)
            changed = [left_s, (targets, component_values(pri.fields)), (at_p, component_values(sec.fields))]
            delta = map_change(c, known, spec, p, targets)
        elif kind == "replace_primary":
            tmp = primary_effect(c, np.array([s]), spec, force_p, 0).fail[0] == 0
            pri = primary_effect(c, targets, spec, force_p, c.pair_locations(targets, at_s))
            sec = secondary_effect(c, targets, at_s, spec, force_p)
            ok = (mig_ps & tmp) & mig_st & (pri.fail == 0) & (sec.fail == 0)
            changed = [left_p, (targets, component_values(pri.fields)), (at_s, component_values(sec.fields))]
            delta = map_change(c, known, spec, p, targets)
        else:  # failover_and_replace
            pri = primary_effect(c, at_s, spec, force_p, c.pair_locations(at_s, targets))
            sec = secondary_effect(c, at_s, targets, spec, force_p)
            ok = mig_ps & (pri.fail == 0) & (sec.fail == 0)
            changed = [left_p, (at_s, component_values(pri.fields)), (targets, component_values(sec.fields))]
            delta = map_change(c, known, spec, p, at_s)
        if ok.any():
            kept = [(nodes[ok], values[:, ok]) for nodes, values in changed]
            out.add(slot[ok] + KIND_RANK[kind], i, kind, targets[ok], kept, delta[ok])
    restore(c, snap)
