"""node-evacuate (each mode) and change-group against hail on seeded generated clusters.

Per request, ours must pass the independent validity check (targets online, not drained,
not evacuated, in the right group, capacity left on every receiving node after all moves),
Ganeti's REQ_RESULT check and Ganeti's opcode validation; it must move every instance hail
moves; and the cluster score after the moves must equal hail's or be lower. Where iallocd
did nothing beyond hail (no note in `info`), the answer must be hail's byte for byte. Where
it moved more (retry after the other moves, biggest first), the score is not compared: the
two states differ by the extra instances moved, which is the point.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from app.cluster.model import NO_NODE
from app.engine.nodeops import add_primary, add_secondary, remove_primary, remove_secondary
from app.engine.score.metrics import score_of
from tests.differential.cases import NEEDS_HAIL_AND_GANETI
from tests.support import docs as d, gen
from tests.support.ganeti import validate_opcode, validate_response
from tests.support.hail import run_hail
from tests.support.validity import check_answer

pytestmark = NEEDS_HAIL_AND_GANETI
# and seeds where a longer campaign (32..5531) found change-group moving fewer instances than
# hail: its capacity check failed the moving instance over inside its new group (ALGORITHM.md 9.9)
SEEDS = [*range(32), 1447, 2766, 3980]
EPSILON = 1e-9
BEYOND_HAIL = "iallocd"  # the word our notes in `info` carry


def _spec(rng: random.Random) -> gen.ClusterSpec:
    # hail's "all" mode tries every node pair per DRBD instance: groups stay small
    return gen.ClusterSpec(
        nodes=rng.randint(6, 40),
        groups=rng.choice([1, 2, 2, 3]),
        instances_per_node=rng.choice([3, 5]),
        fill=rng.choice([0.5, 0.7, 0.85, 0.95]),
        templates=rng.choice([gen.DRBD_ONLY, gen.mixed(0.1, 0.3)]),
        offline=rng.choice([0, 0, 0.1]),
        offline_instances=rng.random() < 0.2,
        drained=rng.choice([0, 0, 0.1]),
        exclusion_tags=rng.random() < 0.3,
        location_tags=rng.random() < 0.3,
        hypervisor=rng.choice(["xen-pvm", "kvm"]),
    )


def _requests(seed: int) -> tuple[list[gen.Doc], tuple[str, ...]]:
    rng = random.Random(seed * 104729 + 7)
    spec = _spec(rng)
    doc = gen.generate(spec, seed)
    docs = [gen.node_evacuate_request(doc, rng, mode) for mode in gen.EVAC_MODES]
    if len(gen.group_names(doc)) > 1:
        docs.append(gen.change_group_request(doc, rng, count=3))
    # hail's global N+1 check re-creates every plain instance per candidate: skip it there
    params = () if spec.kind == "drbd" or spec.nodes <= 12 else ("--no-capacity-checks",)
    if rng.random() < 0.3:
        params += ("--ignore-soft-errors",)
    return docs, params


def _ours(doc: gen.Doc, params: tuple[str, ...]) -> dict[str, Any]:
    from app.service.answer import answer

    parsed: dict[str, Any] = json.loads(answer(json.dumps(doc).encode(), params).body)
    return parsed


def _score_after(doc: gen.Doc, moved: list[list[Any]]) -> float:
    """The whole cluster's score once the moved instances sit on their reported nodes."""
    c = d.cluster_of(doc)
    insts = c.instances
    for name, _, nodes in moved:
        i = c.instance_index[name]
        spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
        remove_primary(c, p, spec, loc)
        if s != NO_NODE:
            remove_secondary(c, s, spec, p)
        new_p, new_s = c.node_index[nodes[0]], c.node_index[nodes[1]] if len(nodes) > 1 else NO_NODE
        new_loc = len(c.nodes.loc_tags[new_p] & c.nodes.loc_tags[new_s]) if new_s != NO_NODE else 0
        add_primary(c, new_p, spec, new_loc)
        if new_s != NO_NODE:
            add_secondary(c, new_s, spec, new_p)
    return score_of(c, np.arange(len(c.nodes), dtype=np.int64))


def _invalid(doc: gen.Doc, response: dict[str, Any], params: tuple[str, ...]) -> str | None:
    try:
        check_answer(doc, response, params)
    except AssertionError as err:
        return str(err)
    return None


def compare(doc: gen.Doc, params: tuple[str, ...], hail: dict[str, Any], ours: dict[str, Any]) -> str | None:
    """None if ours is valid and at least as good as hail's, else why not."""
    try:
        validate_response(doc, ours)
        for job in ours["result"][2]:
            for op in job:
                validate_opcode(op)
    except AssertionError as err:
        return f"refused by Ganeti: {err}"
    why = _invalid(doc, ours, params)
    if why is not None:
        return f"invalid: {why}"
    if BEYOND_HAIL not in ours["info"]:
        return None if ours == hail else "differs from hail although iallocd did nothing more"
    hail_moved = {m[0] for m in hail["result"][0]}
    ours_moved = {m[0] for m in ours["result"][0]}
    if not hail_moved < ours_moved:
        return f"moved {sorted(ours_moved)}, hail {sorted(hail_moved)}"
    return None


def compare_score(doc: gen.Doc, hail: dict[str, Any], ours: dict[str, Any]) -> str | None:
    if BEYOND_HAIL in ours["info"]:
        return None
    mine, theirs = _score_after(doc, ours["result"][0]), _score_after(doc, hail["result"][0])
    return None if mine <= theirs + EPSILON else f"score {mine} after our moves, {theirs} after hail's"


@pytest.mark.parametrize("seed", SEEDS)
def test_evacuations_match_hail(seed: int) -> None:
    docs, params = _requests(seed)
    problems = []
    with ThreadPoolExecutor(2) as pool:
        hails = [pool.submit(run_hail, doc, params) for doc in docs]
        for doc, future in zip(docs, hails, strict=True):
            hail, ours = future.result(), _ours(doc, params)
            why = compare(doc, params, hail, ours) or compare_score(doc, hail, ours)
            if why is not None:
                req = doc["request"]
                problems.append(f"{req['type']} {req.get('evac_mode', '')} {list(params)}: {why}")
    assert not problems, "\n".join(problems)


def test_compare_catches_fewer_moves_and_invalid_targets() -> None:
    docs, params = _requests(0)
    doc = docs[0]
    hail = run_hail(doc, params)
    assert hail["result"][0], "seed 0 must move something for this test"
    fewer = json.loads(json.dumps(hail))
    fewer["result"][0].pop()
    fewer["result"][2].pop()
    fewer["info"] += "; iallocd"
    assert compare(doc, params, hail, fewer) is not None
    evacuated = doc["request"]["instances"][0]
    onto_evacuated = json.loads(json.dumps(hail))
    onto_evacuated["result"][0][0][2] = [doc["instances"][evacuated]["nodes"][0]]
    assert compare(doc, params, hail, onto_evacuated) is not None
