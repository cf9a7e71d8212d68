"""A DRBD instance moving both nodes: the best (primary, secondary) pair among the
available nodes (`Evacuate.hs: nodeEvacInstance ChangeAll`, `evacDrbdAllInner`).

Each pair (p, s) is the sequence ReplaceSecondary(p), Failover, ReplaceSecondary(s), and
is rejected by the first step that fails. The checks of the first two steps depend on p
only and are done once per node; the last one, and the score of the group afterwards, are
done on all pairs at once. Pairs touching the instance's own nodes (possible only for an
instance split across groups) are simulated move by move. Near-equal scores are refolded
exactly, so that the pair chosen is hail's: lowest score, the later pair on equal scores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from app.cluster.model import NO_NODE, BoolArray, Cluster, FloatArray, IntArray
from app.engine.checks.failures import Fail
from app.engine.moves.apply import failover, migration_fails, replace_secondary
from app.engine.moves.targets import without
from app.engine.nodeops import primary_effect, restore, snapshot
from app.engine.score.listscore import Change, ListScore, last_lowest, near_positions
from app.engine.score.metrics import LOCATION_ROW, component_values, score_of
from app.engine.score.pairgrid import GridSecondaries, grid_locations, grid_secondaries, pair_grid
from app.engine.score.secondary import (
    SecondaryBase,
    peer_values,
    secondary_base,
    secondary_effect,
    secondary_pairs,
)

if TYPE_CHECKING:
    from app.engine.moves.trace import MoveTrace

STEPS = (
    "Changing secondary to new primary",
    "Failing over to new primary",
    "Changing secondary to final secondary",
)


@dataclass
class PairChoice:
    """The chosen (primary, secondary), or the failure of the last pair tried."""

    nodes: tuple[int, int] | None
    failure: str = ""


def all_pairs(avail: IntArray) -> tuple[IntArray, IntArray]:
    """(p, s) for p in avail, s in avail, p != s: hail's order."""
    n = len(avail)
    p = np.repeat(avail, n)
    s = np.tile(avail, n)
    keep = p != s
    return p[keep], s[keep]


def best_pair(
    c: Cluster, i: int, avail: IntArray, group: IntArray, force: bool, trace: MoveTrace | None = None
) -> PairChoice:
    """Search from the instance's current nodes (after any first failover). Pairs are kept
    on the (primary, secondary) grid of `avail`: read row by row without the diagonal, it is
    hail's order (`all_pairs`), and a pair is named by its position in that reading."""
    size = len(avail)
    insts = c.instances
    own = np.flatnonzero(np.isin(avail, [int(insts.pnode[i]), int(insts.snode[i])]))
    slow = np.zeros((size, size), dtype=bool)
    slow[own, :] = True
    slow[:, own] = True
    np.fill_diagonal(slow, False)
    found: dict[int, float] = {}  # the pairs that pass and may be the best: exact scores
    failed: dict[int, tuple[int, int]] = {}  # (failing step, failure)
    for pos in np.flatnonzero(slow).tolist():
        step, fail, score = simulate_pair(c, i, int(avail[pos // size]), int(avail[pos % size]), group, force)
        if fail:
            failed[pos] = (step, fail)
        else:
            found[pos] = score
    last = (size - 1) * size + size - 2
    grid: _Grid | None = None
    if len(found) + len(failed) < size * (size - 1):
        with without(c, i):
            ls = ListScore(c, group)
            grid = _fast_pairs(c, i, ls, avail, force)
            failed.setdefault(last, grid.failure(size - 1, size - 2))
            if len(own):
                grid.ok[slow] = False
            near = near_positions(grid.scores, grid.ok)
            if len(near):
                at_p, at_s = np.divmod(near, size)
                exact = ls.exact(grid.changes(at_p, at_s), grid.map_delta[at_p])
                found.update(zip(near.tolist(), exact.tolist(), strict=True))
    chosen = None
    if found:
        order = sorted(found)
        best = last_lowest(np.array([found[k] for k in order]), np.ones(len(order), dtype=bool))
        chosen = order[best if best is not None else 0]  # never None: every one is a candidate
    if trace is not None:
        _trace(trace, c, i, avail, (found, failed, grid), chosen)
    if chosen is not None:
        return PairChoice((int(avail[chosen // size]), int(avail[chosen % size])))
    step, fail = failed[last]
    return PairChoice(None, f"{STEPS[step]}: {Fail(fail).code}")


def _trace(
    trace: MoveTrace,
    c: Cluster,
    i: int,
    avail: IntArray,
    searched: tuple[dict[int, float], dict[int, tuple[int, int]], _Grid | None],
    chosen: int | None,
) -> None:
    """The search as hail's list of pairs (`all_pairs`), for explain: per pair its failing step
    and failure, or its score (exact where it was refolded, else the grid's ranking value)."""
    found, failed, grid = searched
    size = len(avail)
    positions = [a * size + b for a in range(size) for b in range(size) if a != b]
    fail = np.zeros(len(positions), dtype=np.int64)
    step = np.zeros(len(positions), dtype=np.int64)
    scores = np.full(len(positions), np.inf)
    for k, pos in enumerate(positions):
        a, b = divmod(pos, size)
        if pos in found:
            scores[k] = found[pos]
        elif grid is not None and grid.ok[a, b]:
            scores[k] = grid.scores[a, b]
        elif pos in failed:
            step[k], fail[k] = failed[pos]
        elif grid is not None:
            step[k], fail[k] = grid.failure(a, b)
    at = np.array(positions, dtype=np.int64)
    index = positions.index(chosen) if chosen is not None else None
    trace.pairs(c, i, (avail[at // size], avail[at % size]), fail, step, scores, index)


def _first(codes: IntArray, more: IntArray, steps: IntArray, level: int) -> tuple[IntArray, IntArray]:
    new = (codes == 0) & (more > 0)
    return np.where(new, more, codes), np.where(new, level, steps)


def _per_primary(
    c: Cluster, i: int, avail: IntArray, force: bool, base: SecondaryBase
) -> tuple[IntArray, IntArray, FloatArray]:
    """Failure and failing step of the first two moves for each new primary p (called
    with the instance off its nodes, whose figures equal those of hail's intermediate
    states but for the N+1 flag, recomputed below where hail recomputes it), and the values
    of p as the final primary but for the location score. `base`: the instance as secondary
    on each p, checked as the last move checks it."""
    n = c.nodes
    insts = c.instances
    spec, p1, s1 = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i])
    ones = np.full(len(avail), p1)
    # 1. ReplaceSecondary(p): secondary on p, then the primary re-added with soft checks off
    forced_s1 = force or bool(n.offline[s1])
    if base.strict == forced_s1:  # checked otherwise than the last move
        base = secondary_base(c, avail, spec, forced_s1)
    codes = secondary_pairs(base, np.arange(len(avail)), peer_values(c, ones, avail))[0]
    steps = np.zeros(len(avail), dtype=np.int64)
    readd = primary_effect(c, np.array([p1]), spec, True).fail
    codes = np.where(codes > 0, codes, readd[0])
    # 2. Failover to p: migration tags, p as primary (its N+1 flag recomputed by the
    #    removal of the secondary), p1 as secondary
    forced = force or bool(n.offline[p1])
    mig = migration_fails(c, p1, avail)
    codes, steps = _first(codes, mig, steps, 1)
    saved = n.fail_n1[avail].copy()
    n.fail_n1[avail] = n.unalloc_mem()[avail] <= n.r_mem[avail]
    loc = c.pair_locations(ones, avail)
    as_primary = primary_effect(c, avail, spec, forced, loc)
    n.fail_n1[avail] = saved
    codes, steps = _first(codes, as_primary.fail, steps, 1)
    back = secondary_effect(c, avail, ones, spec, forced, ignore_disks=bool(n.offline[p1])).fail
    codes, steps = _first(codes, back, steps, 1)
    # p as the final primary: the same figures (the N+1 flag it gets does not depend on the
    # one it had), but for the location score of the pair
    final = replace(as_primary.fields, loc_score=as_primary.fields.loc_score - loc)
    return codes, steps, component_values(final)


@dataclass
class _Grid:
    """The pairs of `nodes` (the diagonal is never ok): which pass every step, their
    approximate scores, and what the failures and the final values are made of."""

    nodes: IntArray
    ok: BoolArray
    scores: FloatArray
    codes: IntArray  # per primary: the failure of the first two steps
    steps: IntArray
    primary: FloatArray  # (K, A): values of p as the final primary, but for the location score
    location: IntArray | None  # (A, A): the location score of each pair (None: all 0)
    map_delta: FloatArray  # per primary
    secondaries: GridSecondaries

    def failure(self, a: int, b: int) -> tuple[int, int]:
        """(failing step, failure) of the pair (nodes[a], nodes[b])."""
        if self.codes[a]:
            return int(self.steps[a]), int(self.codes[a])
        return 2, self.secondaries.failure(a, b)

    def changes(self, a: IntArray, b: IntArray) -> list[Change]:
        """The values of p (new primary) and s (new secondary) once the pairs are done."""
        pri = self.primary[:, a]
        if self.location is not None:
            pri[LOCATION_ROW] += self.location[a, b]
        return [Change(self.nodes[a], pri), Change(self.nodes[b], self.secondaries.values_at(a, b))]


def _fast_pairs(c: Cluster, i: int, ls: ListScore, avail: IntArray, force: bool) -> _Grid:
    """Every pair of `avail`, with the instance off its nodes."""
    p1 = int(c.instances.pnode[i])
    spec = c.instances.specs[i]
    forced = force or bool(c.nodes.offline[p1])
    # 3. ReplaceSecondary(s) with p as primary (re-adding p cannot fail: step 2 passed the
    #    same hard checks)
    sec = grid_secondaries(c, avail, spec, forced)
    codes, steps, first = _per_primary(c, i, avail, force, sec.base)
    ok = sec.ok()
    ok &= (codes == 0)[:, None]
    np.fill_diagonal(ok, False)
    map_p = ls.map_delta(avail, spec.excl_tags)
    location = grid_locations(c, avail)
    scores = pair_grid(ls, avail, first, sec.values, map_p, location, sec.patch)
    return _Grid(avail, ok, scores, codes, steps, first, location, map_p, sec)


def simulate_pair(c: Cluster, i: int, p: int, s: int, group: IntArray, force: bool) -> tuple[int, int, float]:
    """(step, failure, exact score) of one pair, by applying the three moves and undoing them."""
    insts = c.instances
    record = (int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i]))
    snap = snapshot(c, sorted({record[0], record[1], p, s}))
    result: tuple[int, int, float]
    for level, target in enumerate((p, NO_NODE, s)):
        why = failover(c, i, force) if target == NO_NODE else replace_secondary(c, i, target, force)
        if why is not None:
            result = (level, int(why), float("inf"))
            break
    else:
        result = (0, 0, score_of(c, group))
    restore(c, snap)
    insts.pnode[i], insts.snode[i], insts.loc_score[i] = record
    return result
