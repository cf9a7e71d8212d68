"""Candidates kept from one step to the next. A move changes two or three nodes; a DRBD
instance on none of them keeps its candidates but for the columns of those nodes as targets,
which are redone for all such instances at once (one instance per column: `SpecColumns`).

Only instances whose candidates depend on nothing else are kept: DRBD, no exclusion tags or
desired locations (the location/exclusion map changes with every move), in a group without
exclusive storage. The others are computed afresh at every step.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.cluster.model import BoolArray, Cluster, IntArray
from app.engine.balance.drbd import DrbdCands, KindCands
from app.engine.nodeops import SpecColumns, primary_effect
from app.engine.score.metrics import component_values
from app.engine.score.secondary import peer_values, secondary_base, secondary_pairs


class Kept:
    """The kept candidates of a group's instances, by instance."""

    def __init__(self, c: Cluster, group_nodes: IntArray) -> None:
        self.c = c
        self.usable = not bool(c.nodes.excl[group_nodes].any())
        self.by_instance: dict[int, DrbdCands] = {}

    def keeps(self, i: int) -> bool:
        spec = self.c.instances.specs[i]
        return self.usable and spec.template == "drbd" and not spec.excl_tags and not spec.desired_loc

    def moved(self, touched: list[int]) -> None:
        """Forget the instances on the `touched` nodes, redo the others' columns of them."""
        insts = self.c.instances
        hit = set(touched)
        for i in [i for i in self.by_instance if int(insts.pnode[i]) in hit or int(insts.snode[i]) in hit]:
            del self.by_instance[i]
        column = np.zeros(len(self.c.nodes), dtype=bool)
        column[touched] = True
        work: dict[int, list[tuple[KindCands, IntArray, int]]] = {KindCands.PRI: [], KindCands.SEC: []}
        for i, cands in self.by_instance.items():
            for kc in cands.kinds:
                pos = np.flatnonzero(column[kc.targets])
                if len(pos):
                    work[kc.role].append((kc, pos, i))
        for role, items in work.items():
            if items:
                self._redo(role, items)

    def _redo(self, role: int, items: list[tuple[KindCands, IntArray, int]]) -> None:
        c = self.c
        specs = c.instances.specs
        nodes = np.concatenate([kc.targets[pos] for kc, pos, _ in items])
        partner = np.concatenate([kc.partner[pos] for kc, pos, _ in items])
        forced: BoolArray = np.concatenate([np.full(len(pos), kc.t_force) for kc, pos, _ in items])
        cols = SpecColumns.of([specs[i] for kc, pos, i in items for _ in range(len(pos))])
        if role == KindCands.PRI:
            locs = c.pair_locations(nodes, partner)
            soft, hard = (primary_effect(c, nodes, cols, f, locs) for f in (False, True))
            fail = np.where(forced, hard.fail, soft.fail)
            values = component_values(soft.fields)
        else:
            peer, at = peer_values(c, partner, nodes), np.arange(len(nodes))
            base_soft, base_hard = (secondary_base(c, nodes, cols, f) for f in (False, True))
            fail_soft, r_mem, fail_n1 = secondary_pairs(base_soft, at, peer)
            fail = np.where(forced, secondary_pairs(base_hard, at, peer)[0], fail_soft)
            values = component_values(replace(base_soft.fields, r_mem=r_mem, fail_n1=fail_n1))
        start = 0
        for kc, pos, _ in items:
            end = start + len(pos)
            kc.ok_t[pos] = fail[start:end] == 0
            kc.changed[kc.role][1][:, pos] = values[:, start:end]
            start = end
