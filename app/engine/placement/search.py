"""The candidate search inside one node list (hail's `tryAlloc`, ALGORITHM.md 5.1).

All candidates (nodes, or primary/secondary pairs) are checked and scored at once on
arrays; the global N+1 check, when on, is then run on the best candidates in hail's order
(lowest score first, equal scores: the later candidate first) until one passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields as dc_fields
from itertools import islice

import numpy as np

from app.cluster.model import NO_NODE, BoolArray, Cluster, FloatArray, InstanceSpec, IntArray
from app.engine.checks.failures import Fail
from app.engine.checks.policy import policy_codes
from app.engine.checks.redundancy import RedundancyCheck
from app.engine.nodeops import Effect, primary_effect
from app.engine.score.listscore import Change, ListScore
from app.engine.score.metrics import (
    LOCATION_ROW,
    SECONDARY_ROWS,
    STD,
    WEIGHTS,
    K,
    NodeFields,
    Stats,
    component_values,
    map_delta,
    node_fields,
    stats_of,
    update,
    updated_rows,
)
from app.engine.score.secondary import PairSecondaries, pair_secondaries, secondary_values

PAIR_CHUNK = 65536  # pairs scored per block: bounds memory on very large groups
Scored = tuple[tuple[int, ...], float]  # candidate nodes (primary first) and score


@dataclass
class Solution:
    """The outcome of one search: the chosen nodes, or why every candidate failed."""

    nodes: tuple[int, ...] = ()
    score: float = 0.0
    successes: int = 0
    fails: Counter[Fail] = field(default_factory=Counter)
    # per node: the first failure it caused as a primary (for explanations)
    node_fails: dict[int, Fail] = field(default_factory=dict)
    candidates: int = 0
    nodes_tried: int = 0  # candidate nodes (primaries, for pairs)
    policy_fails: Counter[Fail] = field(default_factory=Counter)  # of node_fails: the ipolicy
    # kept only when traced (explain): the best candidates from the chosen one on (those
    # after it were never checked for global N+1), the first ones global N+1 dropped, and
    # the pairs that failed on the secondary
    ranked: list[Scored] = field(default_factory=list)
    dropped: list[Scored] = field(default_factory=list)
    secondary_fails: Counter[Fail] = field(default_factory=Counter)

    @property
    def found(self) -> bool:
        return bool(self.nodes)


@dataclass
class Search:
    """One traced search: the instance, the group searched, its candidates (primaries for
    pairs) and the outcome."""

    instance: str
    group: int
    candidates: IntArray
    solution: Solution


@dataclass
class SearchTrace:
    """Collects the searches of one run (for explanations); `top` candidates kept each."""

    top: int
    searches: list[Search] = field(default_factory=list)

    def add(self, c: Cluster, inst: InstanceSpec, cands: IntArray, sol: Solution) -> Solution:
        group = int(c.nodes.group[cands[0]]) if len(cands) else -1
        self.searches.append(Search(inst.name, group, cands, sol))
        return sol

    def keep(self, sol: Solution, rest: Iterator[int], scored: Callable[[int], Scored]) -> None:
        """After the choice: keep it and the `top - 1` next candidates of the ranking."""
        if sol.found and self.top > 0:
            sol.ranked = [(sol.nodes, sol.score), *(scored(j) for j in islice(rest, self.top - 1))]

    def drop(self, sol: Solution, j: int, scored: Callable[[int], Scored]) -> None:
        if len(sol.dropped) < self.top:
            sol.dropped.append(scored(j))


def _take(f: NodeFields, sel: IntArray) -> NodeFields:
    return NodeFields(**{x.name: np.asarray(getattr(f, x.name))[..., sel] for x in dc_fields(f)})


def _ranked(scores: FloatArray, exact: Callable[[IntArray], FloatArray] | None = None) -> Iterator[int]:
    """Candidate positions in hail's order. With `exact`, near-equal scores are recomputed
    the way hail computes them, so that exact ties are broken as hail breaks them."""
    order = np.lexsort((-np.arange(len(scores)), scores))
    if exact is None:
        yield from (int(i) for i in order)
        return
    k = 0
    while k < len(order):
        first = scores[order[k]]
        # the incremental update is off by up to ~1e-8 per standard deviation that is
        # exactly 0 (square root of a rounding error): anything that close is re-ranked
        tol = 1e-6 * max(1.0, abs(float(first)))
        end = k + 1
        while end < len(order) and scores[order[end]] - first <= tol:
            end += 1
        group = order[k:end]
        if len(group) > 1:
            group = group[np.lexsort((-group, exact(group)))]
        yield from (int(i) for i in group)
        k = end


def _fail_counts(codes: IntArray) -> Counter[Fail]:
    values, counts = np.unique(codes[codes > 0], return_counts=True)
    return Counter({Fail(int(v)): int(n) for v, n in zip(values, counts, strict=True)})


def search_single(
    c: Cluster,
    node_list: IntArray,
    cands: IntArray,
    inst: InstanceSpec,
    force: bool,
    redundancy: bool,
    trace: SearchTrace | None = None,
) -> Solution:
    eff = primary_effect(c, cands, inst, force)
    pol = policy_codes(c, cands, inst)
    codes = np.where(pol > 0, pol, eff.fail)
    sol = Solution(fails=_fail_counts(codes), candidates=len(cands), nodes_tried=len(cands))
    sol.policy_fails = _fail_counts(pol)
    sol.node_fails = {int(n): Fail(int(x)) for n, x in zip(cands, codes, strict=True) if x}
    ok = np.flatnonzero(codes == 0)
    if len(ok) == 0:
        return trace.add(c, inst, cands, sol) if trace is not None else sol
    ls = ListScore(c, node_list)
    nodes = cands[ok]
    new = component_values(_take(eff.fields, ok))
    delta = map_delta(c, ls.stats, nodes, inst.excl_tags)
    scores = update(ls.stats, component_values(node_fields(c, nodes)), new, delta).score()

    def exact(js: IntArray) -> FloatArray:
        return ls.exact([Change(nodes[js], new[:, js])], delta[js])

    def scored(j: int) -> Scored:
        return (int(nodes[j]),), float(exact(np.array([j]))[0])

    checker = RedundancyCheck(c, node_list) if redundancy else None
    dropped = 0
    ranking = _ranked(scores, exact)
    for j in ranking:
        if checker is None or checker.redundant_with(inst, int(nodes[j])):
            # hail reports compCV of the new list; the incremental score can be off in the
            # 8th decimal when a standard deviation should be exactly 0
            sol.nodes, sol.score = scored(j)
            break
        dropped += 1
        if trace is not None:
            trace.drop(sol, j, scored)
    sol.successes = len(ok) - dropped
    if dropped:
        sol.fails[Fail.N1] += dropped
    if trace is not None:
        trace.keep(sol, ranking, scored)
        trace.add(c, inst, cands, sol)
    return sol


def search_pairs(
    c: Cluster,
    node_list: IntArray,
    primaries: IntArray,
    secondaries: list[IntArray],
    inst: InstanceSpec,
    force: bool,
    redundancy: bool,
    trace: SearchTrace | None = None,
    moving: bool = False,
) -> Solution:
    """Primary/secondary pairs; `secondaries[k]` are the secondaries tried for primaries[k].
    `moving`: `inst` is an existing instance that change-group places as a copy."""
    pair_p = np.repeat(primaries, [len(s) for s in secondaries])
    pair_s = np.concatenate(secondaries) if secondaries else np.zeros(0, dtype=np.int64)
    sol = Solution(candidates=len(pair_p), nodes_tried=len(primaries))
    pri = primary_effect(c, primaries, inst, force)
    pol = policy_codes(c, primaries, inst)
    pri_codes = np.where(pol > 0, pol, pri.fail)
    sol.policy_fails = _fail_counts(pol)
    sol.node_fails = {int(n): Fail(int(x)) for n, x in zip(primaries, pri_codes, strict=True) if x}
    stats = stats_of(c, node_list)
    after_p = _after_primaries(c, stats, pri, primaries, inst)
    owner = np.repeat(np.arange(len(primaries)), [len(s) for s in secondaries])
    scores = np.full(len(pair_p), np.inf)
    codes = np.repeat(pri_codes, [len(s) for s in secondaries])
    sec = pair_secondaries(c, pair_p, pair_s, inst)
    old_s = component_values(node_fields(c, sec.base.nodes))
    for lo in range(0, len(pair_p), PAIR_CHUNK):
        block = slice(lo, min(lo + PAIR_CHUNK, len(pair_p)))
        _score_pairs(c, after_p, sec, old_s, block, pair_p[block], pair_s[block], owner[block],
                     codes[block], scores[block])  # fmt: skip
    sol.fails = _fail_counts(codes)

    def scored(j: int) -> Scored:
        return (int(pair_p[j]), int(pair_s[j])), float(scores[j])

    checker = RedundancyCheck(c, node_list, moving) if redundancy else None
    dropped = 0
    ranking = _pair_order(scores, codes == 0)
    for j in ranking:
        p, s = int(pair_p[j]), int(pair_s[j])
        if checker is None or checker.redundant_with(inst, p, s):
            sol.nodes, sol.score = (p, s), float(scores[j])
            break
        dropped += 1
        if trace is not None:
            trace.drop(sol, j, scored)
    sol.successes = int((codes == 0).sum()) - dropped
    if dropped:
        sol.fails[Fail.N1] += dropped
    primary_ok = np.repeat(pri_codes == 0, [len(x) for x in secondaries])
    sol.secondary_fails = _fail_counts(np.where(primary_ok, codes, 0))
    if trace is not None:
        trace.keep(sol, ranking, scored)
        trace.add(c, inst, primaries, sol)
    return sol


def _pair_order(scores: FloatArray, ok: BoolArray) -> Iterator[int]:
    """Feasible pairs with a finite score, best first; equal scores: the later pair (hail keeps the later
    secondary of a primary and the later primary). Usually the first one is taken, so
    the full sort is only done when the first few are rejected."""
    pos = np.flatnonzero(ok)
    masked = np.where(np.isnan(scores[pos]), np.inf, scores[pos])  # NaN (a node of no memory): last
    for _ in range(min(4, len(pos))):
        best = masked.min()
        if not np.isfinite(best):  # not placeable
            return
        j = int(np.flatnonzero(masked == best)[-1])
        yield int(pos[j])
        masked[j] = np.inf
    rest = np.flatnonzero(np.isfinite(masked))
    for j in rest[np.lexsort((-rest, masked[rest]))]:
        yield int(pos[j])


@dataclass
class _PrimaryStats:
    """Per primary candidate: statistics after adding the instance there, and the value
    of every component (what the secondary leaves untouched)."""

    stats: Stats
    values: FloatArray  # (K, P)


def _after_primaries(
    c: Cluster, stats: Stats, pri: Effect, primaries: IntArray, inst: InstanceSpec
) -> _PrimaryStats:
    old = component_values(node_fields(c, primaries))
    delta = map_delta(c, stats, primaries, inst.excl_tags)
    after = update(stats, old, component_values(pri.fields), delta)
    values = np.where(STD[:, None], np.sqrt(after.var), after.total)
    return _PrimaryStats(after, values)


def _score_pairs(
    c: Cluster,
    after_p: _PrimaryStats,
    sec: PairSecondaries,
    old_s: FloatArray,
    block: slice,
    pair_p: IntArray,
    pair_s: IntArray,
    owner: IntArray,
    codes: IntArray,
    out: FloatArray,
) -> None:
    """Check the secondaries and score the pairs of one block, in place. Only the figures
    that depend on the primary (reserved memory) are computed per pair, and only the rows a
    secondary changes are updated per pair (hail's update leaves the others bit-identical).
    `old_s`: the component values of `sec.base.nodes` before."""
    pos = sec.pos[block]
    fail, r_mem, fail_n1 = sec.finish(block)
    codes[:] = np.where(codes > 0, codes, fail)
    live = np.flatnonzero(codes == 0)
    if len(live) == 0:
        return
    at, k = pos[live], owner[live]
    new_s = secondary_values(sec.base, at, r_mem[live], fail_n1[live], SECONDARY_ROWS)
    n = after_p.stats.count
    acc = np.zeros(len(live))
    for row in range(K):
        if row in SECONDARY_ROWS:
            total = after_p.stats.total[row, k]
            x, y = old_s[row, at], new_s[SECONDARY_ROWS.index(row)]
            t, v = updated_rows(n, x, y, total, after_p.stats.var[row, k], True, STD[row])
            value = np.sqrt(v) if STD[row] else t
        else:
            value = after_p.values[row, k]
        if row == LOCATION_ROW:
            value = value + c.pair_locations(pair_p[live], pair_s[live])
        acc = acc + WEIGHTS[row] * value
    out[live] = acc


__all__ = ["NO_NODE", "Search", "SearchTrace", "Solution", "policy_codes", "search_pairs", "search_single"]
