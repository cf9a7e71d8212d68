"""Scores of a node list under candidate changes (app.engine.score.listscore): the exact refold
equals hail's full recomputation (`score_of` of the changed cluster) to the last bit, the
incremental approximation comes close, and ties go to the later candidate."""

from __future__ import annotations

import numpy as np

from app.engine.nodeops import add_primary, primary_effect, remove_primary, restore, snapshot
from app.engine.score.listscore import Change, ListScore, last_lowest, near_lowest
from app.engine.score.metrics import component_values, score_of
from tests.support import docs as d, gen


def _cluster():
    spec = gen.ClusterSpec(
        nodes=9, instances_per_node=4, offline=0.2, location_tags=True, exclusion_tags=True
    )
    return d.cluster_of(gen.generate(spec, 5) | {"request": d.allocate()})


def test_exact_equals_full_recomputation_bit_for_bit():
    c = _cluster()
    nodes = d.idx(c)
    inst = d.new_spec(c, memory=512, tags=["svc:web"])
    ls = ListScore(c, nodes)
    eff = primary_effect(c, nodes, inst, True)
    change = Change(nodes, component_values(eff.fields))
    exact = ls.exact([change], ls.map_delta(nodes, inst.excl_tags))
    approx = ls.approx([change], ls.map_delta(nodes, inst.excl_tags))
    for k, node in enumerate(nodes):
        snap = snapshot(c, [int(node)])
        add_primary(c, int(node), inst, 0)
        assert exact[k] == score_of(c, nodes), c.nodes.names[node]
        restore(c, snap)
    np.testing.assert_allclose(approx, exact, rtol=1e-6)


def test_exact_with_two_changed_nodes_and_a_removal_base():
    c = _cluster()
    nodes = d.idx(c)
    i = 0
    spec, p = c.instances.specs[i], int(c.instances.pnode[i])
    snap = snapshot(c, [p])
    remove_primary(c, p, spec, int(c.instances.loc_score[i]))
    ls = ListScore(c, nodes)
    targets = nodes[nodes != p]
    eff = primary_effect(c, targets, spec, True)
    change = Change(targets, component_values(eff.fields))
    scores = ls.scores([change], ls.map_delta(targets, spec.excl_tags))
    expected = []
    for t in targets:
        inner = snapshot(c, [int(t)])
        add_primary(c, int(t), spec, 0)
        expected.append(score_of(c, nodes))
        restore(c, inner)
    restore(c, snap)
    best = last_lowest(scores, np.ones(len(targets), dtype=bool))
    assert scores[best] == min(expected)
    assert best == max(k for k, s in enumerate(expected) if s == min(expected))


def test_last_lowest_prefers_the_later_of_equal_scores():
    scores = np.array([3.0, 1.0, 2.0, 1.0, 0.5])
    assert last_lowest(scores, np.array([True, True, True, True, False])) == 3
    assert last_lowest(scores, np.zeros(5, dtype=bool)) is None


def test_near_lowest_keeps_only_candidates_within_the_tolerance():
    scores = np.array([1.0, 1.0 + 1e-9, 1.1, np.inf])
    ok = np.array([True, True, True, False])
    assert near_lowest(scores, ok).tolist() == [True, True, False, False]
