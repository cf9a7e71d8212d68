"""The candidates of a step (app/engine/balance/drbd.py, candidates.py) against the moves
applied in place (balance/apply.py): the same moves are valid, and each candidate's values of
the nodes it changes are those of the cluster once the move is made."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from app.engine.balance.apply import apply_move
from app.engine.balance.candidates import KINDS, Batch
from app.engine.balance.options import BalanceOptions
from app.engine.balance.step import add_instance, movable
from app.engine.score.metrics import component_values, node_fields
from tests.support import docs as d, gen


def _cluster(seed: int) -> d.Cluster:
    mix = gen.mixed(0.1, 0.3)
    spec = gen.ClusterSpec(nodes=7, instances_per_node=3, templates=mix, fill=0.8, location_tags=True)
    spec = replace(spec, offline=0.15, offline_instances=True, drained=0.15)
    doc = gen.generate(spec, seed)
    return d.cluster_of(doc | {"request": {"type": "node-evacuate", "instances": [], "evac_mode": "all"}})


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("force", [False, True])
def test_candidates_are_the_moves_that_apply_with_their_values(seed: int, force: bool) -> None:
    c = _cluster(seed)
    nodes = c.group_nodes(0)
    online = nodes[~c.nodes.offline[nodes]]
    opts = BalanceOptions(ignore_soft_errors=force)
    checked: Counter[str] = Counter()
    for i in movable(c, nodes, opts):
        pairs, triples = Batch(2), Batch(3)
        add_instance(c, i, online, opts, Counter(), pairs, triples)
        found = {}
        for batch in (pairs, triples):
            if not batch.order:
                continue
            got = batch.done()
            for k, code in enumerate(got.kind.tolist()):
                found[KINDS[code], int(got.target[k])] = [
                    (int(ch.nodes[k]), ch.values[:, k]) for ch in got.changes
                ]
        p, s = int(c.instances.pnode[i]), int(c.instances.snode[i])
        for kind in KINDS:
            for t in [-1] if kind == "failover" else online.tolist():
                if t in (p, s):
                    continue
                work = c.copy()
                if apply_move(work, i, kind, t, force) is not None:
                    assert (kind, t) not in found
                    continue
                if (kind, t) not in found:
                    continue  # a move hbal does not consider for this instance (template, flags)
                for node, values in found[kind, t]:
                    after = component_values(node_fields(work, np.array([node])))[:, 0]
                    np.testing.assert_array_equal(values, after)
                checked[kind] += 1
    assert checked["replace_secondary"] and checked["replace_and_failover"] and checked["failover"]
