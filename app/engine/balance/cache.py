"""Candidates kept from one step to the next, in one table: a row per instance of the group, a
cell per move in hbal's order (the failover, then per online node of the group the kinds of
`possibleMoves`), holding the move's validity and the sums of its changes (`score.deltas`).

A move changes two or three nodes: the instances on them are forgotten and computed again
when next asked for, and the other instances' cells of those nodes as targets are redone, all
at once (`bulk`). Every cell is then scored with one formula (`score.table_scores`).

Only instances whose candidates depend on nothing else are kept: DRBD, both nodes online, no
exclusion tags or desired locations (the location/exclusion map changes with every move), in
a group without exclusive storage. The others are computed afresh at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.cluster.model import BoolArray, Cluster, FloatArray, IntArray
from app.engine.balance.bulk import Changed, failovers, left, moves
from app.engine.balance.candidates import KIND_RANK, PER_TARGET, drbd_kinds
from app.engine.balance.options import BalanceOptions, MoveKind
from app.engine.balance.score import ROWS, G, changes, deltas, table_scores
from app.engine.score.listscore import Change, ListScore, near_positions

MAX_CELLS = 1 << 21  # the largest table kept (some 160 bytes a cell)


def part_size(group_nodes: IntArray) -> int:
    """Instances per table of a group too large to keep one (tables of an eighth of the most)."""
    return max(1, MAX_CELLS // 8 // (1 + PER_TARGET * len(group_nodes)))


@dataclass(frozen=True)
class Found:
    """The best kept move: its exact score and position in hbal's order."""

    score: float
    order: int
    instance: int
    kind: MoveKind
    target: int


class Kept:
    """The kept candidates of a group's instances (or of `insts`, some of them). A table too
    large to keep (`fits` false) is made again at each step for some instances at a time."""

    def __init__(
        self, c: Cluster, group_nodes: IntArray, opts: BalanceOptions, insts: IntArray | None = None
    ) -> None:
        self.c, self.force = c, opts.ignore_soft_errors
        n = c.nodes
        self.online = group_nodes[~n.offline[group_nodes]]
        self.column = np.full(len(n), -1, dtype=np.int64)
        self.column[self.online] = np.arange(len(self.online))
        self.kinds = drbd_kinds(opts, opts.instance_moves, False) if len(self.online) > 2 else []
        self.failover = opts.instance_moves
        inside = np.zeros(len(n), dtype=bool)
        inside[group_nodes] = True
        self.insts = np.flatnonzero(inside[c.instances.pnode]) if insts is None else insts
        self.block = np.full(len(c.instances.names), -1, dtype=np.int64)
        self.block[self.insts] = np.arange(len(self.insts))
        self.width = 1 + PER_TARGET * len(self.online)
        cells = len(self.insts) * self.width
        self.usable = not bool(n.excl[group_nodes].any()) and bool(self.kinds or self.failover)
        self.fits = cells <= MAX_CELLS or insts is not None  # the table of `insts` is made
        specs = [c.instances.specs[i] for i in self.insts.tolist()] if self.usable else []
        self.plain = np.array(
            [s.template == "drbd" and not s.excl_tags and not s.desired_loc for s in specs], dtype=bool
        )  # by block
        self.present = np.zeros(len(specs), dtype=bool)
        self.left = left(c, self.insts[:0], self.force)  # by block, of the present instances
        self.touched: list[int] = []
        size = cells if self.usable and self.fits else 0
        self.valid = np.zeros(size, dtype=bool)
        self.sums = np.zeros((1 + 2 * G, size))  # score.deltas by cell
        # score.changes by block of the instance leaving its secondary (0) or its primary (1)
        self.leaving = np.zeros((2, len(ROWS) + G, len(self.insts) if size else 0))

    def keeps(self, inst: IntArray) -> BoolArray:
        """Which of `inst` (instances of the group) the table holds."""
        insts, off = self.c.instances, self.c.nodes.offline
        out: BoolArray = self.plain[self.block[inst]] & ~off[insts.pnode[inst]] & ~off[insts.snode[inst]]
        return out

    def moved(self, touched: list[int]) -> None:
        """Forget the instances on the `touched` nodes, redo the others' cells of them next."""
        if not (self.usable and self.fits):
            return
        insts = self.c.instances
        gone = np.isin(insts.pnode[self.insts], touched) | np.isin(insts.snode[self.insts], touched)
        gone &= self.present
        self.present[gone] = False
        self.valid.reshape(len(self.insts), self.width)[gone] = False
        self.touched += [t for t in touched if self.column[t] >= 0]

    def refresh(self, ls: ListScore, victims: IntArray) -> None:
        """Compute the cells of the kept `victims` not held yet, redo those of touched nodes."""
        new = victims[~self.present[self.block[victims]]]
        touched = np.array(sorted(set(self.touched)), dtype=np.int64)
        old = self.insts[self.present] if len(touched) else self.insts[:0]
        self.touched = []
        m = len(self.online)
        if len(self.left.inst) < len(self.insts):
            self.left = left(self.c, self.insts, self.force)  # the first time: every block's entry
        else:
            self.left.put(self.block[new], left(self.c, new, self.force))
        inst = np.concatenate([np.repeat(new, m), np.repeat(old, len(touched))])
        t = np.concatenate([np.tile(self.online, len(new)), np.tile(touched, len(old))])
        at = self.block[inst]
        keep = (t != self.left.p[at]) & (t != self.left.s[at])
        at, t = at[keep], t[keep]
        firsts = self.left.take(self.block[new])
        for k, (nodes, values) in enumerate([(firsts.s, firsts.values_s), (firsts.p, firsts.values_p)]):
            self.leaving[k][:, self.block[new]] = changes(ls, [(nodes, values.T)])
        pairs = self.left.take(at)
        base = self.block[pairs.inst] * self.width + 1 + PER_TARGET * self.column[t]
        for kind in self.kinds if len(t) else []:
            ok, (_, *rest) = moves(self.c, pairs, t, kind, self.force)
            start = self.leaving[int(kind in ("replace_primary", "failover_and_replace"))][:, at]
            self._put(ls, base + KIND_RANK[kind], ok, rest, start)
        if self.failover and len(new):
            self._put(ls, self.block[new] * self.width, *failovers(self.c, firsts, self.force))
        self.present[self.block[new]] = True

    def _put(self, ls: ListScore, cells: IntArray, ok: BoolArray, changed: Changed,
             start: FloatArray | None = None) -> None:  # fmt: skip
        self.valid[cells] = ok
        self.sums[:, cells] = deltas(ls, changed, start)

    def best(self, ls: ListScore, victims: IntArray) -> Found | None:
        """The lowest-scoring valid kept move of `victims`, the first in hbal's order on equal
        scores; exact scores for those near the lowest."""
        active = np.zeros(len(self.insts), dtype=bool)
        active[self.block[victims]] = True
        approx = table_scores(ls, self.sums)
        ok = self.valid & np.repeat(active, self.width) & np.isfinite(approx)
        near = near_positions(approx, ok)
        if not len(near):
            return None
        block, col = np.divmod(near, self.width)
        inst, target = self.insts[block], self.online[np.maximum(col - 1, 0) // PER_TARGET]
        rank = (col - 1) % PER_TARGET
        exact = np.zeros(len(near))
        lf = left(self.c, inst, self.force)
        for kind in [None, *self.kinds]:
            sel = col == 0 if kind is None else (col > 0) & (rank == KIND_RANK[kind])
            if not sel.any():
                continue
            pick = np.flatnonzero(sel)
            part = lf.take(pick)
            ok_k, changed = (
                failovers(self.c, part, self.force)
                if kind is None
                else moves(self.c, part, target[pick], kind, self.force)
            )
            assert ok_k.all(), "a kept candidate is no longer valid"
            exact[pick] = ls.exact([Change(nodes, values) for nodes, values in changed], np.zeros(len(pick)))
        k = int(np.argmin(exact))  # the first of equal ones: cells are in hbal's order
        kind_k: MoveKind = "failover" if col[k] == 0 else _KIND_OF_RANK[int(rank[k])]
        t = int(target[k]) if col[k] else -1
        order = int(inst[k]) * (1 + PER_TARGET * len(self.c.nodes)) + (
            1 + PER_TARGET * t + int(rank[k]) if col[k] else 0
        )
        return Found(float(exact[k]), order, int(inst[k]), kind_k, t)


_KIND_OF_RANK: dict[int, MoveKind] = {
    rank: kind for kind, rank in KIND_RANK.items() if kind != "failover_to_any"
}
