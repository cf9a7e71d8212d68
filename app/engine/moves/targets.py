"""Choosing the target node of one instance move among many candidates at once
(`Evacuate.hs: evacOneNodeInner` for `FailoverToAny` and `ReplaceSecondary`).

Every candidate is checked as `Moves.hs: applyMoveEx` checks it and scored by the score of
the group after the move, recomputed exactly as hail does, so that the chosen node is
hail's: the lowest score, the later candidate on equal scores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from app.cluster.model import NO_NODE, Cluster, FloatArray, IntArray
from app.engine.checks.failures import Fail
from app.engine.moves.apply import migration_fails
from app.engine.nodeops import (
    primary_effect,
    remove_primary,
    remove_secondary,
    restore,
    snapshot,
)
from app.engine.score.listscore import Change, ListScore, last_lowest
from app.engine.score.metrics import component_values
from app.engine.score.secondary import secondary_effect


@dataclass
class Targets:
    """Per candidate node: its failure (0 = the move works) and the group score after it."""

    nodes: IntArray
    fail: IntArray
    scores: FloatArray

    def best(self) -> int | None:
        """The chosen node, or None when every candidate fails."""
        pos = last_lowest(self.scores, self.fail == 0)
        return None if pos is None else int(self.nodes[pos])

    def failures_before_best(self) -> list[tuple[int, Fail]]:
        """The failing candidates hail lists: those tried before the first that works."""
        ok = np.flatnonzero(self.fail == 0)
        end = int(ok[0]) if len(ok) else len(self.nodes)
        return [(int(n), Fail(int(f))) for n, f in zip(self.nodes[:end], self.fail[:end], strict=True)]


@contextmanager
def without(c: Cluster, i: int) -> Iterator[None]:
    """The cluster with instance `i` taken off its nodes, restored afterwards."""
    insts = c.instances
    spec, p, s = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i])
    snap = snapshot(c, [p] if s == NO_NODE else [p, s])
    remove_primary(c, p, spec, int(insts.loc_score[i]))
    if s != NO_NODE:
        remove_secondary(c, s, spec, p)
    try:
        yield
    finally:
        restore(c, snap)


def _first_fail(*codes: IntArray) -> IntArray:
    out = codes[0]
    for more in codes[1:]:
        out = np.where(out > 0, out, more)
    return out


def failover_to_any(c: Cluster, i: int, targets: IntArray, group: IntArray, force: bool) -> Targets:
    """Shared storage: start the instance on another node (`FailoverToAny`)."""
    insts = c.instances
    spec, p = insts.specs[i], int(insts.pnode[i])
    forced = force or bool(c.nodes.offline[p])
    mig = migration_fails(c, p, targets)
    eff = primary_effect(c, targets, spec, forced, int(insts.loc_score[i]))
    fail = _first_fail(mig, eff.fail)
    scores = np.full(len(targets), np.inf)
    ok = fail == 0
    if ok.any():
        with without(c, i):
            ls = ListScore(c, group)
            change = Change(targets[ok], component_values(eff.fields)[:, ok])
            scores[ok] = ls.scores([change], ls.map_delta(targets[ok], spec.excl_tags))
    return Targets(targets, fail, scores)


def replace_secondary(c: Cluster, i: int, targets: IntArray, group: IntArray, force: bool) -> Targets:
    """DRBD: rebuild the secondary on another node (`ReplaceSecondary`)."""
    insts = c.instances
    spec, p, s = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i])
    forced = force or bool(c.nodes.offline[s])
    sec = secondary_effect(c, np.full(len(targets), p), targets, spec, forced)
    loc = c.pair_locations(np.full(len(targets), p), targets)
    scores = np.full(len(targets), np.inf)
    with without(c, i):
        # the primary is re-added with soft checks off: its failure is the same for all
        pri = primary_effect(c, np.full(len(targets), p), spec, True, loc)
        fail = _first_fail(sec.fail, pri.fail)
        ok = fail == 0
        if ok.any():
            ls = ListScore(c, group)
            changes = [
                Change(np.full(int(ok.sum()), p), component_values(pri.fields)[:, ok]),
                Change(targets[ok], component_values(sec.fields)[:, ok]),
            ]
            scores[ok] = ls.scores(changes, ls.map_delta(np.full(int(ok.sum()), p), spec.excl_tags))
    return Targets(targets, fail, scores)
