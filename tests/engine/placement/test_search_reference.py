"""The vectorised candidate search (app.engine.placement.search) against a plain reference on small
generated clusters: every candidate checked one at a time with one-element calls, placed on a
copy of the cluster and the group scored from scratch. Same feasible candidates, same failure
counts, and the chosen candidate is one of the best (ties may fall either way: the reference
scores by full recomputation, the search by hail's incremental statistics)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from app.cluster import Cluster, InstanceSpec, request_spec
from app.engine.checks.failures import Fail
from app.engine.checks.policy import policy_codes
from app.engine.nodeops import place_instance, primary_effect
from app.engine.placement.search import search_pairs, search_single
from app.engine.score.metrics import score_of
from app.engine.score.secondary import secondary_effect
from app.protocol import AllocateRequest
from tests.support import docs as d, gen

SPECS = [
    gen.ClusterSpec(nodes=7, instances_per_node=4, fill=0.8),
    gen.ClusterSpec(nodes=8, instances_per_node=5, fill=0.9, offline=0.15, drained=0.15),
    gen.ClusterSpec(nodes=9, groups=2, instances_per_node=3, exclusion_tags=True, location_tags=True),
    gen.ClusterSpec(nodes=8, instances_per_node=4, templates=gen.mixed(plain=0.4), fill=0.95),
]
TOLERANCE = 1e-9


def _setup(k: int, seed: int, template: str) -> tuple[Cluster, InstanceSpec]:
    doc = gen.allocate_request(gen.generate(SPECS[k], seed), random.Random(seed), template)
    c = d.cluster_of(doc)
    return c, request_spec(AllocateRequest.model_validate(doc["request"]), c)


def _primary_code(c: Cluster, p: int, inst: InstanceSpec) -> int:
    one = np.array([p])
    policy = int(policy_codes(c, one, inst)[0])
    return policy or int(primary_effect(c, one, inst, False).fail[0])


def _reference(c: Cluster, nodes: list[tuple[int, ...]], inst: InstanceSpec, group: np.ndarray):
    """(score per feasible candidate, failure counts), one candidate at a time."""
    scores: dict[tuple[int, ...], float] = {}
    fails: Counter[Fail] = Counter()
    for cand in nodes:
        code = _primary_code(c, cand[0], inst)
        if not code and len(cand) == 2:
            code = int(secondary_effect(c, np.array(cand[:1]), np.array(cand[1:]), inst).fail[0])
        if code:
            fails[Fail(code)] += 1
            continue
        trial = c.copy()
        place_instance(trial, inst, *cand)
        scores[cand] = score_of(trial, group)
    return scores, fails


@pytest.mark.parametrize("spec", range(len(SPECS)))
@pytest.mark.parametrize("template", ["drbd", "plain"])
def test_search_matches_one_candidate_at_a_time_reference(spec, template):
    checked = 0
    for seed in range(5):
        c, inst = _setup(spec, seed, template)
        for g in range(len(c.groups)):
            group = c.group_nodes(g)
            cands = group[~c.nodes.offline[group]]
            if len(cands) < 2:
                continue
            if template == "drbd":
                secs = [cands[cands != p] for p in cands]
                sol = search_pairs(c, group, cands, secs, inst, False, False)
                nodes = [(int(p), int(s)) for p, ss in zip(cands, secs, strict=True) for s in ss]
            else:
                sol = search_single(c, group, cands, inst, False, False)
                nodes = [(int(p),) for p in cands]
            scores, fails = _reference(c, nodes, inst, group)
            assert (sol.successes, +sol.fails) == (len(scores), +fails)
            if scores:
                best = min(scores.values())
                assert sol.nodes in scores
                assert scores[sol.nodes] <= best + TOLERANCE * max(1.0, abs(best))
                assert abs(sol.score - scores[sol.nodes]) <= TOLERANCE * max(1.0, abs(best))
                checked += 1
            else:
                assert not sol.found
    assert checked > 0
