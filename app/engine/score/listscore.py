"""The score of one node list under many candidate changes at once, as hail computes it
after a move (`compCVNodes`: a full left-to-right recomputation, ALGORITHM.md 4.2).

A `ListScore` is taken of the list in a base state (typically with the moving instance
removed from its nodes). A candidate changes a few nodes of the list; each `Change` gives,
per candidate, the changed node and its component values afterwards. `approx` updates the
base statistics incrementally (fast, for ranking); `exact` refolds the whole list per
candidate in hail's order, so that equal scores tie exactly as they tie in hail; `scores`
refolds only the candidates near the lowest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.cluster.model import BoolArray, Cluster, FloatArray, IntArray
from app.engine.score.metrics import (
    MAP_ROW,
    K,
    Stats,
    component_values,
    map_delta,
    node_fields,
    refold,
    stats_of,
    update,
)
from app.engine.score.secondary import distinct

EXACT_CHUNK = 1 << 22  # values refolded per block (candidates x components x nodes)
# Relative distance under which approximate scores are refolded exactly: the incremental
# update is off by up to ~1e-8 where a standard deviation is exactly 0 (the square root of a
# rounding error).
NEAR = 1e-6


@dataclass
class Change:
    """Per candidate: the node that changes and its component values (K, C) afterwards."""

    nodes: IntArray
    values: FloatArray

    def subset(self, sel: BoolArray | IntArray) -> Change:
        return Change(self.nodes[sel], self.values[:, sel])


class ListScore:
    def __init__(self, c: Cluster, node_list: IntArray) -> None:
        self.c = c
        off = c.nodes.offline[node_list]
        self.on = node_list[~off]
        self.off = node_list[off]
        self.values_on = component_values(node_fields(c, self.on))
        self.values_off = component_values(node_fields(c, self.off))
        self.stats = stats_of(c, node_list, (self.values_on, self.values_off))
        self.member = np.zeros(len(c.nodes), dtype=bool)
        self.member[node_list] = True
        self.column = np.full(len(c.nodes), -1, dtype=np.int64)
        self.column[self.on] = np.arange(len(self.on))
        self.column[self.off] = np.arange(len(self.off))

    def values_at(self, nodes: IntArray) -> FloatArray:
        """Component values (K, len(nodes)) of `nodes` in the base state."""
        if self.member[nodes].all() and not self.c.nodes.offline[nodes].any():
            return self.values_on[:, self.column[nodes]]
        return component_values(node_fields(self.c, nodes))

    def base(self) -> float:
        return float(self.stats.score())

    def map_delta(self, nodes: IntArray, excl_tags: tuple[str, ...]) -> FloatArray:
        """Change of the location/exclusion value when an instance with `excl_tags` becomes
        primary on each of `nodes` (only online members of the list count)."""
        delta = map_delta(self.c, self.stats, nodes, excl_tags)
        counted = self.member[nodes] & ~self.c.nodes.offline[nodes]
        return np.where(counted, delta, 0.0)

    def approx(self, changes: Sequence[Change], map_total_delta: FloatArray) -> FloatArray:
        """hail's incremental statistics update, one changed node after the other (call it
        while the cluster is still in the base state)."""
        if not changes:
            return np.full(len(map_total_delta), self.base())
        stats = self._updated(self.stats, changes[0])
        stats.total[MAP_ROW] += map_total_delta
        out: FloatArray = self._updated_all(stats, changes[1:]).score()
        return out

    def _updated(self, stats: Stats, ch: Change) -> Stats:
        nodes, pos = distinct(ch.nodes, len(self.c.nodes))  # candidates share few nodes
        old = component_values(node_fields(self.c, nodes))[:, pos]
        new = np.where(self.member[ch.nodes], ch.values, old)
        return update(stats, old, new, 0.0, online=~self.c.nodes.offline[ch.nodes])

    def _updated_all(self, stats: Stats, changes: Sequence[Change]) -> Stats:
        for ch in changes:
            stats = self._updated(stats, ch)
        return stats

    def scores(self, changes: Sequence[Change], map_total_delta: FloatArray) -> FloatArray:
        """Approximate scores, refolded exactly where they come near the lowest: enough to
        pick the candidate hail picks (`last_lowest`)."""
        out = self.approx(changes, map_total_delta)
        near = near_lowest(out, np.isfinite(out))
        if near.any():
            out[near] = self.exact([ch.subset(near) for ch in changes], map_total_delta[near])
        return out

    def exact(self, changes: Sequence[Change], map_total_delta: FloatArray) -> FloatArray:
        """The score of every candidate refolded from scratch (hail's compCVNodes)."""
        count = len(map_total_delta)
        out = np.zeros(count)
        if len(self.on) == 0:
            return out  # no online node: hail's statistics collapse to a score of 0
        per = max(1, EXACT_CHUNK // (K * max(1, len(self.on) + len(self.off))))
        for lo in range(0, count, per):
            sel = slice(lo, min(count, lo + per))
            out[sel] = self._exact_block(changes, map_total_delta[sel], sel)
        return out

    def _exact_block(self, changes: Sequence[Change], map_delta_: FloatArray, sel: slice) -> FloatArray:
        # nodes first: refold folds over the first axis
        n = len(map_delta_)
        on = np.repeat(self.values_on.T[:, :, None], n, axis=2)
        off = np.repeat(self.values_off.T[:, :, None], n, axis=2)
        rows = np.arange(n)
        for ch in changes:
            nodes = ch.nodes[sel]
            values = ch.values[:, sel].T  # (n, K)
            inside = self.member[nodes]
            offline = self.c.nodes.offline[nodes]
            cols = self.column[nodes]
            for mask, target in ((inside & ~offline, on), (inside & offline, off)):
                if mask.any():
                    target[cols[mask], :, rows[mask]] = values[mask]
        total, var = refold(on, off)
        total[MAP_ROW] = self.stats.total[MAP_ROW] + map_delta_
        out: FloatArray = Stats(self.stats.count, total, var, self.stats.loc_excl).score()
        return out


def last_lowest(scores: FloatArray, ok: BoolArray) -> int | None:
    """Position of the lowest score among `ok` ones, the last one on equal scores (hail's
    `if old < new then old else new` fold), or None."""
    pos = np.flatnonzero(ok)
    if len(pos) == 0:
        return None
    best = scores[pos]
    return int(pos[len(best) - 1 - int(np.argmin(best[::-1]))])


def near_lowest(scores: FloatArray, ok: BoolArray) -> BoolArray:
    """The `ok` candidates whose approximate score may equal the lowest exactly."""
    out = np.zeros_like(ok)
    out.flat[near_positions(scores, ok)] = True
    return out


def near_positions(scores: FloatArray, ok: BoolArray) -> IntArray:
    """`near_lowest` as positions in the flattened arrays (in order)."""
    low = float(np.min(scores, where=ok, initial=np.inf))
    if not np.isfinite(low):
        return np.zeros(0, dtype=np.int64)
    near = np.flatnonzero(scores <= low + NEAR * max(1.0, abs(low)))
    out: IntArray = near[ok.ravel()[near]]
    return out
