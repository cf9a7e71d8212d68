"""Every incremental score path against the full score of the cluster after actually placing
the instance (`score_of`), on generated clusters with location and exclusion tags, offline
and drained nodes: ListScore's exact refold (bit for bit) and approximation, the pair search's
per-pair update (`SECONDARY_ROWS`) and the evacuations' pair grid (`pair_grid`)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.cluster import Cluster, InstanceSpec, request_spec
from app.engine.moves.pairs import all_pairs
from app.engine.nodeops import place_instance, primary_effect
from app.engine.placement.search import SearchTrace, search_pairs
from app.engine.score.listscore import NEAR, Change, ListScore
from app.engine.score.metrics import component_values, score_of
from app.engine.score.pairgrid import grid_locations, grid_secondaries, pair_grid
from app.engine.score.secondary import secondary_effect
from app.protocol import AllocateRequest
from tests.support import docs as d, gen

SPECS = [
    gen.ClusterSpec(
        nodes=8, instances_per_node=4, offline=0.15, drained=0.15, location_tags=True, exclusion_tags=True
    ),
    gen.ClusterSpec(
        nodes=7, instances_per_node=5, fill=0.8, location_tags=True, templates=gen.mixed(plain=0.4)
    ),
]
CASES = [(k, seed) for k in range(len(SPECS)) for seed in range(3)]


def _setup(k: int, seed: int) -> tuple[Cluster, InstanceSpec]:
    doc = gen.allocate_request(gen.generate(SPECS[k], seed), random.Random(seed), "drbd")
    c = d.cluster_of(doc)
    spec = request_spec(AllocateRequest.model_validate(doc["request"]), c)
    return c, spec._replace(excl_tags=("svc:web",)) if k == 0 else spec


def _full(c: Cluster, spec: InstanceSpec, p: int, s: int = -1) -> float:
    after = c.copy()
    place_instance(after, spec, p, s)
    return score_of(after, d.idx(after))


def _close(approx: np.ndarray, full: list[float]) -> None:
    np.testing.assert_allclose(approx, full, rtol=NEAR, atol=NEAR)


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_listscore_one_change_equals_full_score(k, seed):
    c, spec = _setup(k, seed)
    nodes = d.idx(c)
    ls = ListScore(c, nodes)
    change = Change(nodes, component_values(primary_effect(c, nodes, spec, True).fields))
    delta = ls.map_delta(nodes, spec.excl_tags)
    full = [_full(c, spec, int(p)) for p in nodes]
    assert ls.exact([change], delta).tolist() == full
    _close(ls.approx([change], delta), full)


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_listscore_pair_changes_equal_full_score(k, seed):
    c, spec = _setup(k, seed)
    nodes = d.idx(c)
    p, s = all_pairs(nodes)
    ls = ListScore(c, nodes)
    pri = component_values(primary_effect(c, p, spec, True, c.pair_locations(p, s)).fields)
    sec = component_values(secondary_effect(c, p, s, spec, True).fields)
    changes = [Change(p, pri), Change(s, sec)]
    delta = ls.map_delta(p, spec.excl_tags)
    full = [_full(c, spec, int(a), int(b)) for a, b in zip(p, s, strict=True)]
    assert ls.exact(changes, delta).tolist() == full
    _close(ls.approx(changes, delta), full)


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_pair_grid_equals_full_score(k, seed):
    c, spec = _setup(k, seed)
    nodes = d.idx(c)
    ls = ListScore(c, nodes)
    first = component_values(primary_effect(c, nodes, spec, True).fields)
    sec = grid_secondaries(c, nodes, spec, True)
    assert len(sec.patch.row) > 0
    location = grid_locations(c, nodes)
    scores = pair_grid(ls, nodes, first, sec.values, ls.map_delta(nodes, spec.excl_tags), location, sec.patch)
    a, b = np.nonzero(~np.eye(len(nodes), dtype=bool))
    _close(scores[a, b], [_full(c, spec, int(nodes[x]), int(nodes[y])) for x, y in zip(a, b, strict=True)])


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_pair_search_scores_equal_full_score(k, seed):
    c, spec = _setup(k, seed)
    nodes = d.idx(c)
    online = nodes[~c.nodes.offline]
    trace = SearchTrace(len(online) ** 2)
    sol = search_pairs(c, nodes, online, [online[online != q] for q in online], spec, True, False, trace)
    assert len(sol.ranked) > 1
    ranked = sorted(sol.ranked)
    _close(np.array([score for _, score in ranked]), [_full(c, spec, *pair) for pair, _ in ranked])
