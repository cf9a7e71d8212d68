"""Every move hbal considers for one instance (`checkInstanceMove`, `possibleMoves`), with the
component values of the nodes it changes, computed for all targets at once.

A candidate changes two nodes (failovers) or three (moves with a new node); `Batch` holds
candidates with the same number of changed nodes, each with its position in hbal's order
(`order`: hbal keeps the first of equal scores). The cluster is left as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple, get_args

import numpy as np
from numpy.typing import NDArray

from app.cluster.model import BoolArray, Cluster, FloatArray, InstanceSpec, IntArray
from app.engine.balance.options import BalanceOptions, MoveKind
from app.engine.nodeops import primary_effect, remove_primary, restore, snapshot
from app.engine.score.listscore import Change
from app.engine.score.metrics import component_values, node_fields

KIND_RANK: dict[MoveKind, int] = {
    "replace_secondary": 0,
    "replace_and_failover": 1,
    "replace_primary": 2,
    "failover_and_replace": 3,
    "failover_to_any": 0,
}
PER_TARGET = 4  # order slots per target node
KINDS: tuple[MoveKind, ...] = get_args(MoveKind)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}


@dataclass
class Batch:
    """Candidates changing `width` nodes: per candidate its order, instance, kind, target, the
    changed nodes' values and the change of the location/exclusion map value."""

    width: int
    order: list[IntArray] = field(default_factory=list)
    inst: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)  # KIND_CODE
    target: list[IntArray] = field(default_factory=list)
    nodes: list[list[IntArray]] = field(default_factory=list)
    values: list[list[FloatArray]] = field(default_factory=list)
    map_delta: list[FloatArray] = field(default_factory=list)
    ok: list[BoolArray] = field(default_factory=list)

    def add(self, order: IntArray, i: int, kind: MoveKind, target: IntArray,
            changed: list[tuple[IntArray, FloatArray]], map_delta: FloatArray,
            ok: BoolArray | None = None) -> None:  # fmt: skip
        """Candidates of instance `i` (those of `ok`, if given: filtered once, in `done`)."""
        self.order.append(order)
        self.inst.append(i)
        self.kind.append(KIND_CODE[kind])
        self.target.append(target)
        self.nodes.append([n for n, _ in changed])
        self.values.append([v for _, v in changed])
        self.map_delta.append(map_delta)
        self.ok.append(np.ones(len(order), dtype=bool) if ok is None else ok)

    def done(self) -> Candidates:
        """The valid candidates, in arrays."""
        ok = np.concatenate(self.ok)
        counts = [len(x) for x in self.order]
        changes = [
            Change(
                np.concatenate([ns[k] for ns in self.nodes])[ok],
                np.concatenate([vs[k] for vs in self.values], axis=1)[:, ok],
            )
            for k in range(self.width)
        ]
        return Candidates(
            np.concatenate(self.order)[ok],
            np.repeat(np.array(self.inst, dtype=np.int64), counts)[ok],
            np.repeat(np.array(self.kind, dtype=np.int8), counts)[ok],
            np.concatenate(self.target)[ok],
            changes,
            np.concatenate(self.map_delta)[ok],
        )


class Candidates(NamedTuple):
    order: IntArray
    inst: IntArray
    kind: NDArray[np.int8]  # KINDS[code]
    target: IntArray
    changes: list[Change]
    map_delta: FloatArray


def node_values(c: Cluster, node: int, count: int) -> tuple[IntArray, FloatArray]:
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


def to_any(c: Cluster, i: int, targets: IntArray, slot: IntArray, known: Counter[tuple[str, str]],
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
    old = node_values(c, p, int(ok.sum()))
    restore(c, snap)
    new = (targets[ok], component_values(eff.fields)[:, ok])
    out.add(
        slot[ok], i, "failover_to_any", targets[ok], [old, new], map_change(c, known, spec, p, targets[ok])
    )
