"""Instance moves (app.engine.moves.apply): a move applied without its checks (`check=False`,
for moves a search has already checked) leaves the cluster as the checked move does, also on
exclusive storage and with tags, for every move that passes its checks."""

from __future__ import annotations

import pytest

from app.cluster.model import Cluster
from app.engine.checks.failures import Fail
from app.engine.moves.apply import failover, failover_to_any, replace_secondary
from tests.engine.moves.test_evacuate import _same
from tests.support import docs as d, gen

SPECS = [
    gen.ClusterSpec(nodes=8, instances_per_node=4, exclusion_tags=True, location_tags=True),
    gen.ClusterSpec(nodes=6, instances_per_node=3, templates=gen.mixed(plain=0.2), offline=0.2),
]


def _move(c: Cluster, i: int, target: int, force: bool, check: bool) -> Fail | None:
    if c.instances.specs[i].template == "drbd":
        return replace_secondary(c, i, target, force, check)
    return failover_to_any(c, i, target, force, check)


@pytest.mark.parametrize("spec", range(len(SPECS)))
@pytest.mark.parametrize("force", [False, True])
def test_unchecked_moves_equal_checked_ones(spec, force):
    applied = 0
    for seed in range(3):
        c = d.cluster_of(gen.generate(SPECS[spec], seed) | {"request": d.allocate()})
        for i in range(len(c.instances)):
            for target in range(len(c.nodes)):
                if target in (c.instances.pnode[i], c.instances.snode[i]):
                    continue
                checked, unchecked = c.copy(), c.copy()
                if _move(checked, i, target, force, True) is None:
                    assert _move(unchecked, i, target, force, False) is None
                    _same(checked, unchecked)
                    applied += 1
            if c.instances.specs[i].template == "drbd":
                checked, unchecked = c.copy(), c.copy()
                if failover(checked, i, force) is None:
                    assert failover(unchecked, i, force, check=False) is None
                    _same(checked, unchecked)
                    applied += 1
    assert applied > 50
