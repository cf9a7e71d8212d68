"""Approximate scores of every (primary, secondary) pair of a few hundred nodes at once, on a
(primaries x secondaries) grid: how a DRBD instance moving both nodes ranks its pairs before
the lowest are refolded exactly (`ListScore.exact`).

Per pair two nodes change, each from its values in the base state to its values with the
instance added. hail's update of a standard deviation after both changes, unfolded, is

    var'' = var + a(p) + a(s) - 2 d(p) d(s) / n^2,   a(x) = (n (y^2 - x^2) - 2 sum d(x) - d(x)^2) / n^2

(d = y - x), so every row is a per-primary part plus a per-secondary part, but for the cross
term and the square root: only rows both nodes change are computed on the grid, and rows with
the same terms (the "forthcoming" copies) once. Sums are separable. What a secondary reserves
depends on the primary where it already holds a DRBD peer of it: those few pairs (`Patch`) are
corrected afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.cluster.model import BoolArray, Cluster, FloatArray, InstanceSpec, IntArray
from app.engine.score.listscore import ListScore
from app.engine.score.metrics import (
    LOCATION_ROW,
    MAP_ROW,
    ONLINE,
    PEER_ROWS,
    STD,
    WEIGHTS,
    K,
    component_values,
    node_fields,
)
from app.engine.score.secondary import peer_pairs, secondary_base, secondary_pairs, secondary_values


@dataclass
class Patch:
    """Pairs (nodes[row[j]], nodes[col[j]]) whose secondary ends with other values of `rows`
    than the grid's (`values`, a line per row)."""

    row: IntArray
    col: IntArray
    rows: tuple[int, ...]
    values: FloatArray


@dataclass
class GridSecondaries:
    """`inst` added as DRBD secondary on `nodes[s]` for primary `nodes[p]`, for a primary it
    holds no DRBD peer of: the failure and the component values afterwards (K, A); for the
    pairs of `patch`, `patch_fail` and the patch's values."""

    fail: IntArray
    values: FloatArray
    patch: Patch
    patch_fail: IntArray

    def ok(self) -> BoolArray:
        """(A, A): the pairs whose secondary passes."""
        size = len(self.fail)
        out = np.broadcast_to(self.fail == 0, (size, size)).copy()
        out[self.patch.row, self.patch.col] = self.patch_fail == 0
        return out

    def failure(self, p: int, s: int) -> int:
        at = np.flatnonzero((self.patch.row == p) & (self.patch.col == s))
        return int(self.patch_fail[at[0]] if len(at) else self.fail[s])


def grid_secondaries(c: Cluster, nodes: IntArray, inst: InstanceSpec, force: bool) -> GridSecondaries:
    """What a secondary reserves is the same for every primary but its DRBD peers."""
    size = len(nodes)
    base = secondary_base(c, nodes, inst, force)
    every = np.arange(size)
    fail, r_mem, fail_n1 = secondary_pairs(base, every, np.zeros(size, dtype=np.int64))
    values = base.values.copy()
    values[list(PEER_ROWS)] = secondary_values(base, every, r_mem, fail_n1, PEER_ROWS)
    at_p, at_s, peer = peer_pairs(c, nodes, nodes)
    fail_peer, r_mem, fail_n1 = secondary_pairs(base, at_s, peer)
    patch = Patch(at_p, at_s, PEER_ROWS, secondary_values(base, at_s, r_mem, fail_n1, PEER_ROWS))
    return GridSecondaries(fail, values, patch, fail_peer)


def grid_locations(c: Cluster, nodes: IntArray) -> IntArray | None:
    """|loc(p) & loc(s)| for p, s in `nodes` (A, A), or None when no node has a location tag."""
    bits = c.loc_bits[nodes]
    if not bits.any():
        return None
    as_int = bits.astype(np.int64)
    out: IntArray = as_int @ as_int.T
    return out


@dataclass
class _Side:
    """Per node of an axis and per component: the change of the value and of its contribution
    to the variance (`a` above), zero where the node does not count for the row."""

    d: FloatArray
    a: FloatArray


def _side(n: float, total: FloatArray, before: FloatArray, after: FloatArray, chosen: BoolArray) -> _Side:
    """`total`: the sums of the rows of `before` (a column)."""
    with np.errstate(invalid="ignore"):  # offline nodes without data: their rows are not chosen
        d = np.where(chosen, after - before, 0.0)
        dss = np.where(chosen, after * after - before * before, 0.0)
    return _Side(d, (n * dss - 2 * total * d - d * d) / (n * n))


def _chosen(ls: ListScore, nodes: IntArray) -> BoolArray:
    """(K, A): where a node's change counts (online rows for online members, the offline sums
    for offline members, nothing for others)."""
    offline = ls.c.nodes.offline[nodes]
    rows = np.where(offline[None, :], ~ONLINE[:, None], ONLINE[:, None])
    out: BoolArray = rows & ls.member[nodes][None, :]
    return out


def _constant(x: FloatArray) -> bool:
    return bool(len(x) == 0 or x.min() == x.max())


def _grid_root(left: FloatArray, right: FloatArray, dp: FloatArray, ds: FloatArray, out: FloatArray) -> None:
    """out += sqrt(max(0, left[p] + right[s] - dp[p] ds[s])), folding a constant side of the
    cross term into the other."""
    if _constant(ds):
        x = np.add.outer(left - dp * (ds[0] if len(ds) else 0.0), right)
    elif _constant(dp):
        x = np.add.outer(left, right - dp[0] * ds)
    else:
        x = np.add.outer(left, right)
        x -= np.multiply.outer(dp, ds)
    np.maximum(x, 0.0, out=x)
    np.sqrt(x, out=x)
    out += x


def pair_grid(
    ls: ListScore,
    nodes: IntArray,
    primary: FloatArray,
    secondary: FloatArray,
    map_delta: FloatArray,
    location: IntArray | None,
    patch: Patch,
) -> FloatArray:
    """Scores (A, A) of the list with `nodes[p]` changed to `primary[:, p]` and `nodes[s]` to
    `secondary[:, s]` (K, A), for every p, s (the diagonal is meaningless). `map_delta`: per
    primary, the change of the location/exclusion value; `location` (A, A) or None: what each
    pair adds to its primary's location score."""
    before = component_values(node_fields(ls.c, nodes))
    chosen = _chosen(ls, nodes)
    n = ls.stats.count
    total, var = ls.stats.total, ls.stats.var
    p, s = (
        _side(n, total[:, None], before, primary, chosen),
        _side(n, total[:, None], before, secondary, chosen),
    )
    cross = 2.0 / (n * n)
    per_p, per_s = np.zeros(len(nodes)), np.zeros(len(nodes))
    grid = np.zeros((len(nodes), len(nodes)))
    roots: list[tuple[int, float]] = []  # std rows on the grid so far, with their summed weights
    for k in range(K):
        w = WEIGHTS[k]
        if k == MAP_ROW:
            per_p += w * (total[k] + map_delta)
        elif not STD[k]:
            per_p += w * (total[k] + p.d[k])
            per_s += w * s.d[k]
        elif not s.d[k].any():
            per_p += w * np.sqrt(np.maximum(0.0, var[k] + p.a[k]))
        elif not p.d[k].any():
            per_s += w * np.sqrt(np.maximum(0.0, var[k] + s.a[k]))
        else:
            same = next((j for j, (r, _) in enumerate(roots) if _same_row(p, s, var, r, k)), None)
            if same is None:
                roots.append((k, w))
            else:
                roots[same] = (roots[same][0], roots[same][1] + w)
    for k, w in roots:  # w sqrt(x) = sqrt(w^2 x)
        w2 = w * w
        _grid_root(w2 * (var[k] + p.a[k]), w2 * s.a[k], w2 * cross * p.d[k], s.d[k], grid)
    grid += per_p[:, None]
    grid += per_s[None, :]
    if location is not None:
        counted = chosen[LOCATION_ROW]
        grid += WEIGHTS[LOCATION_ROW] * np.where(counted[:, None], location, 0)
    _patch(grid, (p, s), before, chosen, ls, patch)
    return grid


def _same_row(p: _Side, s: _Side, var: FloatArray, j: int, k: int) -> bool:
    return bool(
        var[j] == var[k]
        and np.array_equal(p.d[j], p.d[k])
        and np.array_equal(p.a[j], p.a[k])
        and np.array_equal(s.d[j], s.d[k])
        and np.array_equal(s.a[j], s.a[k])
    )


def _patch(
    grid: FloatArray,
    sides: tuple[_Side, _Side],
    before: FloatArray,
    chosen: BoolArray,
    ls: ListScore,
    patch: Patch,
) -> None:
    """Replace the secondary's terms of the patched pairs by their own."""
    if len(patch.row) == 0:
        return
    p, s = sides
    r, c = patch.row, patch.col
    n, var = ls.stats.count, ls.stats.var
    fix = np.zeros(len(r))
    for j, k in enumerate(patch.rows):
        row = slice(k, k + 1)
        one = _side(n, ls.stats.total[row, None], before[row, c], patch.values[j : j + 1], chosen[row, c])
        d, a = one.d[0], one.a[0]
        if STD[k]:
            base = var[k] + p.a[k, r]
            cross = 2.0 / (n * n) * p.d[k, r]
            new = np.sqrt(np.maximum(0.0, base + a - cross * d))
            old = np.sqrt(np.maximum(0.0, base + s.a[k, c] - cross * s.d[k, c]))
            fix += WEIGHTS[k] * (new - old)
        else:
            fix += WEIGHTS[k] * (d - s.d[k, c])
    grid[r, c] += fix
