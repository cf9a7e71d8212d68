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
from functools import cached_property

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

    @cached_property
    def _at(self) -> IntArray:
        """(A, A): the position of each pair in the patch, -1 if not there."""
        size = len(self.fail)
        out = np.full((size, size), -1, dtype=np.int64)
        out[self.patch.row, self.patch.col] = np.arange(len(self.patch.row))
        return out

    def failure(self, p: int, s: int) -> int:
        at = int(self._at[p, s])
        return int(self.fail[s] if at < 0 else self.patch_fail[at])

    def values_at(self, p: IntArray, s: IntArray) -> FloatArray:
        """(K, len(p)): the values of the secondary of each pair (nodes[p], nodes[s])."""
        out = self.values[:, s]
        at = self._at[p, s]
        hit = np.flatnonzero(at >= 0)
        if len(hit):
            out[np.ix_(np.array(self.patch.rows), hit)] = self.patch.values[:, at[hit]]
        return out


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
    grid: FloatArray = np.add.outer(per_p, per_s)
    cross = 2.0 / (n * n)
    for k, w in _grid_rows(p, s, var, STD & by_p & by_s):  # w sqrt(x) = sqrt(w^2 x)
        w2 = w * w
        _grid_root(w2 * (var[k] + p.a[k]), w2 * s.a[k], w2 * cross * p.d[k], s.d[k], grid)
    if location is not None:
        counted = chosen[LOCATION_ROW]
        grid += WEIGHTS[LOCATION_ROW] * np.where(counted[:, None], location, 0)
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
