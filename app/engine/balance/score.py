"""The group's score after each of many candidate moves: hail's incremental statistics update
(`updateClusterStatistics`, ALGORITHM.md 4.2) one component row at a time, on flat arrays (a
move changes every row of two or three nodes, so nothing is gained by picking rows), then
refolded exactly near the lowest (`ListScore.exact`), where equal scores must tie as in hbal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.cluster.model import FloatArray
from app.engine.score.listscore import Change, ListScore, near_lowest
from app.engine.score.metrics import MAP_ROW, ONLINE, STD, WEIGHTS, K, component_values, node_fields


def approx(ls: ListScore, changes: Sequence[Change], map_delta: FloatArray) -> FloatArray:
    """hail's incremental update of the list's statistics by each candidate's changed nodes
    (call it while the cluster is still in the base state)."""
    c, stats = ls.c, ls.stats
    every = np.arange(len(c.nodes))
    now = component_values(node_fields(c, every))
    n = stats.count
    offline = c.nodes.offline
    out = np.zeros(len(map_delta))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(K):
            if k == MAP_ROW:
                out += WEIGHTS[k] * (stats.total[k] + map_delta)
                continue
            total = np.full(len(out), stats.total[k])
            var = np.full(len(out), stats.var[k])
            for ch in changes:
                counted = ls.member[ch.nodes] & (~offline[ch.nodes] if ONLINE[k] else offline[ch.nodes])
                old, new = now[k, ch.nodes], ch.values[k]
                ds = np.where(counted, new - old, 0.0)
                if STD[k]:
                    dss = np.where(counted, new * new - old * old, 0.0)
                    var = np.maximum(0.0, var + ((n * dss - 2 * total * ds) - ds * ds) / (n * n))
                total = total + ds
            out += WEIGHTS[k] * (np.sqrt(var) if STD[k] else total)
    return out


def scores(ls: ListScore, changes: Sequence[Change], map_delta: FloatArray) -> FloatArray:
    """Approximate scores, exact (hbal's full recomputation) near the lowest."""
    out = approx(ls, changes, map_delta)
    near = near_lowest(out, np.isfinite(out))
    if near.any():
        out[near] = ls.exact([ch.subset(near) for ch in changes], map_delta[near])
    return out
