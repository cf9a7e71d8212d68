"""Candidates kept from step to step (app/engine/balance/cache.py) are those computed afresh."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.engine.balance.apply import apply_move
from app.engine.balance.cache import Kept
from app.engine.balance.candidates import Batch, Candidates
from app.engine.balance.options import BalanceOptions
from app.engine.balance.step import add_instance, best_move, movable
from app.engine.score.listscore import ListScore
from tests.support import docs as d, gen
from tests.support.hbal import NEUTRAL_REQUEST, with_empty_nodes


def _all(c: d.Cluster, nodes: np.ndarray, opts: BalanceOptions, kept: Kept | None) -> list[Candidates]:
    ls = ListScore(c, nodes)
    online = nodes[~c.nodes.offline[nodes]]
    pairs, triples = Batch(2), Batch(3)
    for i in movable(c, nodes, opts):
        add_instance(c, i, online, opts, ls.stats.loc_excl, pairs, triples, kept)
    return [b.done() for b in (pairs, triples) if b.order]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("force", [False, True])
def test_kept_candidates_equal_fresh_ones_step_after_step(seed: int, force: bool) -> None:
    spec = gen.ClusterSpec(nodes=8, instances_per_node=4, fill=0.7, location_tags=True, drained=0.1)
    doc = with_empty_nodes(gen.generate(spec, seed), 2, random.Random(seed))
    c = d.cluster_of(doc | {"request": NEUTRAL_REQUEST})
    nodes = c.group_nodes(0)
    opts = BalanceOptions(ignore_soft_errors=force)
    kept = Kept(c, nodes)
    for _ in range(8):
        fresh, reused = _all(c, nodes, opts, None), _all(c, nodes, opts, kept)
        for a, b in zip(fresh, reused, strict=True):
            for x, y in zip(a[:4], b[:4], strict=True):
                np.testing.assert_array_equal(x, y)
            for ch_a, ch_b in zip(a.changes, b.changes, strict=True):
                np.testing.assert_array_equal(ch_a.nodes, ch_b.nodes)
                np.testing.assert_array_equal(ch_a.values, ch_b.values)
        choice = best_move(c, nodes, movable(c, nodes, opts), opts, kept)
        if choice is None:
            break
        i = choice.instance
        before = {int(c.instances.pnode[i]), int(c.instances.snode[i])}
        assert apply_move(c, i, choice.kind, choice.target, force) is None
        kept.moved(sorted(before | {int(c.instances.pnode[i]), int(c.instances.snode[i])} - {-1}))
