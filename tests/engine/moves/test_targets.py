"""Choosing one move's target on arrays (app.engine.moves.targets) against applying the move to
each candidate in turn (app.engine.moves.apply) and scoring the group from scratch: same
failures, same scores, same choice, on generated clusters with every kind of node."""

from __future__ import annotations

import numpy as np
import pytest

from app.cluster.model import Cluster
from app.engine.moves import apply as moves, targets
from app.engine.nodeops import restore, snapshot
from app.engine.score.metrics import score_of
from tests.support import docs as d, gen

MIX = gen.mixed(0.1, 0.4)  # DRBD and shared storage (plus some plain and file)
SPECS = [
    gen.ClusterSpec(nodes=10, instances_per_node=4, fill=0.8, templates=MIX),
    gen.ClusterSpec(
        nodes=9,
        instances_per_node=5,
        fill=0.9,
        offline=0.1,
        drained=0.1,
        offline_instances=True,
        templates=MIX,
    ),
    gen.ClusterSpec(
        nodes=12, groups=2, instances_per_node=4, exclusion_tags=True, location_tags=True, templates=MIX
    ),
]


def _cluster(k: int, seed: int) -> Cluster:
    return d.cluster_of(gen.generate(SPECS[k], seed) | {"request": d.allocate()})


def _simulated(
    c: Cluster, i: int, target: int, group: np.ndarray, force: bool, kind: str
) -> tuple[int, float]:
    insts = c.instances
    record = (int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i]))
    touched = sorted({n for n in (*record[:2], target) if n >= 0})
    snap = snapshot(c, touched)
    move = moves.failover_to_any if kind == "shared" else moves.replace_secondary
    why = move(c, i, target, force)
    result = (int(why), np.inf) if why else (0, score_of(c, group))
    restore(c, snap)
    insts.pnode[i], insts.snode[i], insts.loc_score[i] = record
    return result


def _last_lowest(scores: list[float]) -> int | None:
    finite = [s for s in scores if s != np.inf]
    if not finite:
        return None
    low = min(finite)
    return max(k for k, s in enumerate(scores) if s == low)


@pytest.mark.parametrize("kind", ["drbd", "shared"])
@pytest.mark.parametrize("spec", range(len(SPECS)))
@pytest.mark.parametrize("force", [False, True])
def test_targets_match_move_by_move_simulation(kind, spec, force):
    checked = 0
    for seed in range(6):
        c = _cluster(spec, seed)
        for i, inst in enumerate(c.instances.specs):
            wanted = "drbd" if kind == "drbd" else "shared"
            if (inst.template == "drbd") != (wanted == "drbd") or inst.template in ("plain", "file"):
                continue
            p = int(c.instances.pnode[i])
            group = c.group_nodes(int(c.nodes.group[p]))
            avail = np.array([n for n in group if n not in (p, int(c.instances.snode[i]))], dtype=np.int64)
            search = targets.failover_to_any if kind == "shared" else targets.replace_secondary
            found = search(c, i, avail, group, force)
            sims = [_simulated(c, i, int(t), group, force, kind) for t in avail]
            assert [int(f) for f in found.fail] == [code for code, _ in sims]
            expected = _last_lowest([score for _, score in sims])
            assert found.best() == (None if expected is None else int(avail[expected]))
            ok = found.fail == 0
            np.testing.assert_allclose(found.scores[ok], [s for (code, s) in sims if code == 0], rtol=1e-6)
            checked += 1
    assert checked > 0


def test_targets_failures_before_best_stop_at_the_first_fit():
    nodes = {
        "n1": d.node(),
        "n2": d.node(),
        "n3": d.node(free_disk=10),
        "n4": d.node(),
        "n5": d.node(free_disk=10),
    }
    c = d.cluster_of(d.document(nodes, {"i1": d.instance(["n1", "n2"])}))
    avail = d.idx(c, "n3", "n4", "n5")
    found = targets.replace_secondary(c, 0, avail, d.idx(c), False)
    assert found.best() == c.node_index["n4"]
    assert [(c.nodes.names[n], why.code) for n, why in found.failures_before_best()] == [("n3", "FailDisk")]


def test_targets_leave_the_cluster_unchanged():
    c = _cluster(0, 1)
    before = c.copy()
    i = next(k for k, s in enumerate(c.instances.specs) if s.template == "drbd")
    group = c.group_nodes(int(c.nodes.group[c.instances.pnode[i]]))
    targets.replace_secondary(c, i, group[2:], group, False)
    for name, value in vars(before.nodes).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(c.nodes, name), value, err_msg=name)
    assert c.nodes.peers == before.nodes.peers
