"""The group's score after each of many candidate moves: hail's incremental statistics update
(`updateClusterStatistics`, ALGORITHM.md 4.2), then refolded exactly near the lowest
(`ListScore.exact`), where equal scores must tie as in hbal.

`approx` updates the statistics one changed node after the other; the kept candidates
(`balance.cache`) keep instead per candidate the sums of its changes (`deltas`), from which
one formula gives every candidate's variances (`table_scores`): with ds and dss the summed
changes of the values and of their squares, var' = var + (n·dss − 2·total·ds − ds²)/n².
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.cluster.model import FloatArray, IntArray
from app.engine.score.listscore import Change, ListScore, near_lowest
from app.engine.score.metrics import (
    COMPONENTS,
    MAP_ROW,
    ONLINE,
    STD,
    WEIGHTS,
    K,
    component_values,
    node_fields,
)

# One row per distinct value of the std components (equal values, equal statistics), with
# the weights of all of them; the sums of online nodes but the map (always 0 here).
_SAME = {comp.value: [k for k in range(K) if STD[k] and COMPONENTS[k].value == comp.value]
         for k, comp in enumerate(COMPONENTS) if STD[k]}  # fmt: skip
STD_ROWS = np.array([rows[0] for rows in _SAME.values()])
STD_WEIGHTS = np.array([WEIGHTS[rows].sum() for rows in _SAME.values()])
SUM_ROWS = np.array([k for k in range(K) if ONLINE[k] and not STD[k] and k != MAP_ROW])
G = len(STD_ROWS)
ROWS = np.concatenate([STD_ROWS, SUM_ROWS])  # the rows `deltas` reads
SCORE_BLOCK = 1 << 14  # candidates `table_scores` scores at a time


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


def changes(
    ls: ListScore, changed: Sequence[tuple[IntArray, FloatArray]], start: FloatArray | None = None
) -> FloatArray:
    """Per candidate changing online nodes of the list, the sums of its changes of the values
    (rows ROWS) and of their squares (std rows), stacked; added to `start`, if given."""
    now = ls.values_on[ROWS]
    out = np.zeros((len(ROWS) + G, len(changed[0][0]))) if start is None else start.copy()
    ds, dss = out[: len(ROWS)], out[len(ROWS) :]
    with np.errstate(invalid="ignore"):
        for nodes, values in changed:
            old, new = now[:, ls.column[nodes]], values[ROWS]
            ds += new - old
            dss += new[:G] ** 2 - old[:G] ** 2
    return out


def deltas(
    ls: ListScore, changed: Sequence[tuple[IntArray, FloatArray]], start: FloatArray | None = None
) -> FloatArray:
    """`changes` as `table_scores` reads them (no map change): the weighted sum of the changes
    of the sums, then per std row 2·ds/n², then per std row (n·dss − ds²)/n²."""
    n, raw = ls.stats.count, changes(ls, changed, start)
    std, dss = raw[:G], raw[len(ROWS) :]
    out = np.empty((1 + 2 * G, raw.shape[1]))
    with np.errstate(invalid="ignore"):
        out[0] = WEIGHTS[SUM_ROWS] @ raw[G : len(ROWS)]
        out[1 : 1 + G] = 2 * std / (n * n)
        out[1 + G :] = (n * dss - std * std) / (n * n)
    return out


def table_scores(ls: ListScore, sums: FloatArray) -> FloatArray:
    """Approximate scores of the candidates of `deltas` (columns of `sums`; nan where a value
    is not finite), a block of columns at a time (the block's temporaries stay in cache)."""
    total, var = ls.stats.total, ls.stats.var
    out: FloatArray = sums[0] + float(WEIGHTS[~STD] @ total[~STD])
    tmp = np.empty(min(len(out), SCORE_BLOCK))
    with np.errstate(invalid="ignore"):
        for lo in range(0, len(out), SCORE_BLOCK):
            block = sums[:, lo : lo + SCORE_BLOCK]
            acc, t = out[lo : lo + SCORE_BLOCK], tmp[: block.shape[1]]
            for g, row in enumerate(STD_ROWS.tolist()):
                np.multiply(block[1 + g], -total[row], out=t)
                t += block[1 + G + g]
                t += var[row]
                np.maximum(t, 0.0, out=t)
                np.sqrt(t, out=t)
                t *= STD_WEIGHTS[g]
                acc += t
    return out
