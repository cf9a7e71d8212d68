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
)
from app.engine.score.secondary import (
    SecondaryBase,
    peer_pairs,
    secondary_base,
    secondary_pairs,
    secondary_values,
)


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
    base: SecondaryBase

    def ok(self) -> BoolArray:
        """(A, A): the pairs whose secondary passes."""
        size = len(self.fail)
        out = np.broadcast_to(self.fail == 0, (size, size)).copy()
        out[self.patch.row, self.patch.col] = self.patch_fail == 0
        return out

    def _find(self, p: IntArray, s: IntArray) -> IntArray:
        """Each pair's position in the patch (sorted by pair), -1 where not there."""
        keys = self.patch.row * len(self.fail) + self.patch.col
        query = p * len(self.fail) + s
        if len(keys) == 0:
            return np.full(len(query), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        return np.where(keys[at] == query, at, -1)

    def failure(self, p: int, s: int) -> int:
        at = int(self._find(np.array([p]), np.array([s]))[0])
        return int(self.fail[s] if at < 0 else self.patch_fail[at])

    def values_at(self, p: IntArray, s: IntArray) -> FloatArray:
        """(K, len(p)): the values of the secondary of each pair (nodes[p], nodes[s])."""
        out = self.values[:, s]
        at = self._find(p, s)
        hit = np.flatnonzero(at >= 0)
        if len(hit):
            out[np.ix_(np.array(self.patch.rows), hit)] = self.patch.values[:, at[hit]]
        return out


def grid_secondaries(c: Cluster, nodes: IntArray, inst: InstanceSpec, force: bool) -> GridSecondaries:
    """What a secondary reserves is the same for every primary but its DRBD peers; the patch
    keeps the pairs where that changes anything."""
    size = len(nodes)
    base = secondary_base(c, nodes, inst, force)
    every = np.arange(size)
    fail, r_mem, fail_n1 = secondary_pairs(base, every, np.zeros(size, dtype=np.int64))
    values = base.values.copy()
    values[list(PEER_ROWS)] = secondary_values(base, every, r_mem, fail_n1, PEER_ROWS)
    at_p, at_s, peer = peer_pairs(c, nodes, nodes)
    fail_peer, r_mem_peer, fail_n1_peer = secondary_pairs(base, at_s, peer)
    changed = (r_mem_peer != r_mem[at_s]) | (fail_n1_peer != fail_n1[at_s]) | (fail_peer != fail[at_s])
    keep = np.flatnonzero(changed)
    keep = keep[np.argsort(at_p[keep] * size + at_s[keep])]  # sorted by pair
    at_s = at_s[keep]
    values_peer = secondary_values(base, at_s, r_mem_peer[keep], fail_n1_peer[keep], PEER_ROWS)
    patch = Patch(at_p[keep], at_s, PEER_ROWS, values_peer)
    return GridSecondaries(fail, values, patch, fail_peer[keep], base)


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


BLOCK = 1 << 15  # grid values computed at a time (primaries x all secondaries): a block stays in cache


def _constant(x: FloatArray) -> bool:
    return bool(len(x) == 0 or x.min() == x.max())


@dataclass
class _Root:
    """sqrt(max(0, left[p] + right[s] - dp[p] ds[s])) on the grid (dp None: no cross term);
    `clamp` is false when the vectors' bounds show that no value can come out negative."""

    left: FloatArray
    right: FloatArray
    dp: FloatArray | None
    ds: FloatArray
    clamp: bool


def _root(left: FloatArray, right: FloatArray, dp: FloatArray, ds: FloatArray) -> _Root:
    """A constant side of the cross term is folded into the other."""
    cross: FloatArray | None = dp
    if _constant(ds):
        left, cross = left - dp * (ds[0] if len(ds) else 0.0), None
    elif _constant(dp):
        right, cross = right - dp[0] * ds, None
    ends = [0.0] if cross is None else [a * b for a in (dp.min(), dp.max()) for b in (ds.min(), ds.max())]
    low = left.min() + right.min() - max(ends)
    scale = np.abs(left).max() + np.abs(right).max() + max(abs(x) for x in ends)
    return _Root(left, right, cross, ds, clamp=not low > 1e-12 * scale)  # rounding stays far below


def _fill(out: FloatArray, rows: slice, per: tuple[FloatArray, FloatArray], roots: list[_Root]) -> None:
    """The grid's rows `rows` (primaries): the per-node parts and the square roots."""
    np.add.outer(per[0][rows], per[1], out=out)
    x = np.empty_like(out)
    for r in roots:
        np.add.outer(r.left[rows], r.right, out=x)
        if r.dp is not None:
            x -= np.multiply.outer(r.dp[rows], r.ds)
        if r.clamp:
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
    before = ls.values_at(nodes)
    chosen = _chosen(ls, nodes)
    n = ls.stats.count
    total, var = ls.stats.total, ls.stats.var
    p = _side(n, total[:, None], before, primary, chosen)
    s = _side(n, total[:, None], before, secondary, chosen)
    by_p, by_s = p.d.any(axis=1), s.d.any(axis=1)
    sums = ~STD  # the map row's values are 0: its change is map_delta
    per_p = WEIGHTS[sums] @ (total[sums, None] + p.d[sums]) + WEIGHTS[MAP_ROW] * map_delta
    per_s = WEIGHTS[sums] @ s.d[sums]
    for side, rows, out in ((p, STD & ~by_s, per_p), (s, STD & by_s & ~by_p, per_s)):
        out += WEIGHTS[rows] @ np.sqrt(np.maximum(0.0, var[rows, None] + side.a[rows]))
    if location is not None:  # the primary's location score, a sum: per pair
        location = np.where(chosen[LOCATION_ROW][:, None], location, 0)
    cross = 2.0 / (n * n)
    roots = [  # w sqrt(x) = sqrt(w^2 x)
        _root(w * w * (var[k] + p.a[k]), w * w * s.a[k], w * w * cross * p.d[k], s.d[k])
        for k, w in _grid_rows(p, s, var, STD & by_p & by_s)
    ]
    grid = np.empty((len(nodes), len(nodes)))
    step = max(1, BLOCK // max(1, len(nodes)))
    for lo in range(0, len(nodes), step):
        block = slice(lo, lo + step)
        _fill(grid[block], block, (per_p, per_s), roots)
        if location is not None:
            grid[block] += WEIGHTS[LOCATION_ROW] * location[block]
    _patch(grid, (p, s), before, chosen, ls, patch)
    return grid


def _grid_rows(p: _Side, s: _Side, var: FloatArray, rows: BoolArray) -> list[tuple[int, float]]:
    """The rows to compute on the grid, each once with the summed weight of the rows equal to
    it (the "forthcoming" copies of free disk and spindles)."""
    out: list[tuple[int, float]] = []
    lines = np.concatenate([p.d, p.a, s.d, s.a, var[:, None]], axis=1)
    for k in np.flatnonzero(rows).tolist():
        same = next((j for j, (r, _) in enumerate(out) if np.array_equal(lines[r], lines[k])), None)
        if same is None:
            out.append((k, float(WEIGHTS[k])))
        else:
            out[same] = (out[same][0], out[same][1] + float(WEIGHTS[k]))
    return out


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
    rows = np.array(patch.rows)
    n, var = ls.stats.count, ls.stats.var[rows, None]
    new = _side(n, ls.stats.total[rows, None], before[rows][:, c], patch.values, chosen[rows][:, c])
    old = _Side(s.d[rows][:, c], s.a[rows][:, c])
    base = var + p.a[rows][:, r]
    cross = 2.0 / (n * n) * p.d[rows][:, r]
    with np.errstate(invalid="ignore"):
        roots = np.sqrt(np.maximum(0.0, base + new.a - cross * new.d))
        roots -= np.sqrt(np.maximum(0.0, base + old.a - cross * old.d))
    grid[r, c] += WEIGHTS[rows] @ np.where(STD[rows, None], roots, new.d - old.d)
