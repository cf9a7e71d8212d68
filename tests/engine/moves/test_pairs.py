"""The DRBD pair search on arrays (app.engine.moves.pairs) against running the three moves of
every pair in turn and scoring the group from scratch (`simulate_pair`): same choice, same
failure text, on generated clusters, also with instances split across groups."""

from __future__ import annotations

import numpy as np
import pytest

from app.cluster.model import Cluster
from app.engine.checks.failures import Fail
from app.engine.moves import pairs
from app.engine.moves.pairs import STEPS, all_pairs, best_pair, simulate_pair
from app.engine.nodeops import primary_effect
from app.engine.score.listscore import NEAR, Change
from app.engine.score.metrics import LOCATION_ROW, component_values
from app.engine.score.pairgrid import pair_grid
from app.engine.score.secondary import secondary_effect
from tests.support import docs as d, gen

SPECS = [
    gen.ClusterSpec(nodes=8, instances_per_node=4, fill=0.85),
    gen.ClusterSpec(nodes=8, instances_per_node=5, fill=0.9, offline=0.15, drained=0.15),
    gen.ClusterSpec(nodes=10, groups=2, instances_per_node=3, exclusion_tags=True, location_tags=True),
]


def _cluster(k: int, seed: int, split: bool = False) -> Cluster:
    doc = gen.generate(SPECS[k], seed) | {"request": d.allocate()}
    if split:  # the first DRBD instance gets its secondary in the other group
        name, inst = next((n, i) for n, i in doc["instances"].items() if i["disk_template"] == "drbd")
        group = doc["nodes"][inst["nodes"][0]]["group"]
        other = next(n for n, node in doc["nodes"].items() if node["group"] != group and not node["offline"])
        doc["instances"][name] = inst | {"nodes": [inst["nodes"][0], other]}
    return d.cluster_of(doc)


def _final_changes(c: Cluster, i: int, p: np.ndarray, s: np.ndarray) -> list[Change]:
    """Component values of p (new primary) and s (new secondary) once the pairs are done."""
    spec = c.instances.specs[i]
    pri = component_values(primary_effect(c, p, spec, True).fields)
    pri[LOCATION_ROW] += c.pair_locations(p, s)
    sec = component_values(secondary_effect(c, p, s, spec).fields)
    return [Change(p, pri), Change(s, sec)]


def _brute_force(c: Cluster, i: int, avail: np.ndarray, group: np.ndarray, force: bool):
    pairs = list(zip(*all_pairs(avail), strict=True))
    results = [simulate_pair(c, i, int(p), int(s), group, force) for p, s in pairs]
    best, low = None, np.inf
    for (p, s), (_, fail, score) in zip(pairs, results, strict=True):
        if fail == 0 and score <= low:
            best, low = (int(p), int(s)), score
    step, fail, _ = results[-1]
    return best, f"{STEPS[step]}: {Fail(fail).code}" if best is None else ""


@pytest.mark.parametrize("spec", range(len(SPECS)))
@pytest.mark.parametrize("force", [False, True])
def test_best_pair_matches_move_by_move_simulation(spec, force):
    checked = 0
    for seed in range(4):
        c = _cluster(spec, seed)
        drbd = [i for i, inst in enumerate(c.instances.specs) if inst.template == "drbd"]
        for i in drbd[:: max(1, len(drbd) // 4)]:
            p, s = int(c.instances.pnode[i]), int(c.instances.snode[i])
            group = c.group_nodes(int(c.nodes.group[p]))
            avail = np.array([n for n in group if n not in (p, s) and not c.nodes.offline[n]], dtype=np.int64)
            if len(avail) < 2:
                continue
            choice = best_pair(c, i, avail, group, force)
            assert (choice.nodes, choice.failure) == _brute_force(c, i, avail, group, force)
            checked += 1
    assert checked > 0


def test_best_pair_split_instance_pairs_touching_its_own_nodes():
    # change-group: the target group holds the instance's secondary, which may be picked
    checked = 0
    for seed in range(6):
        c = _cluster(2, seed, split=True)
        i = next(k for k, s in enumerate(c.instances.specs) if s.template == "drbd")
        target = int(c.nodes.group[c.instances.snode[i]])
        group = c.group_nodes(target)
        avail = group[~c.nodes.offline[group]]
        choice = best_pair(c, i, avail, group, False)
        assert (choice.nodes, choice.failure) == _brute_force(c, i, avail, group, False)
        checked += int(choice.nodes is not None)
    assert checked > 0


def test_all_pairs_in_hails_order():
    p, s = all_pairs(np.array([4, 7, 9]))
    assert list(zip(p.tolist(), s.tolist(), strict=True)) == [(4, 7), (4, 9), (7, 4), (7, 9), (9, 4), (9, 7)]


@pytest.mark.parametrize("spec", range(len(SPECS)))
def test_approximate_pair_scores_are_close_to_the_exact_refold(spec, monkeypatch):
    # best_pair ranks all pairs by pair_grid and refolds only those near the lowest: every
    # approximate score must be within that tolerance of the exact one
    current = {}
    compared = []

    def checked(ls, nodes, primary, secondary, map_delta, location, patch):
        out = pair_grid(ls, nodes, primary, secondary, map_delta, location, patch)
        a, b = np.nonzero(~np.eye(len(nodes), dtype=bool))
        exact = ls.exact(_final_changes(ls.c, current["i"], nodes[a], nodes[b]), map_delta[a])
        assert np.isfinite(out[a, b]).tolist() == np.isfinite(exact).tolist()
        ok = np.isfinite(exact)
        np.testing.assert_allclose(out[a, b][ok], exact[ok], rtol=NEAR / 10, atol=NEAR / 10)
        compared.append(int(ok.sum()))
        return out

    monkeypatch.setattr(pairs, "pair_grid", checked)
    for seed in range(3):
        c = _cluster(spec, seed)
        for i, inst in enumerate(c.instances.specs):
            p, s = int(c.instances.pnode[i]), int(c.instances.snode[i])
            if inst.template != "drbd":
                continue
            group = c.group_nodes(int(c.nodes.group[p]))
            avail = np.array([n for n in group if n not in (p, s) and not c.nodes.offline[n]], dtype=np.int64)
            current["i"] = i
            if len(avail) >= 2:
                best_pair(c, i, avail, group, True)
    assert sum(compared) > 100
