"""Candidates kept from step to step (app/engine/balance/cache.py, bulk.py) are those computed
afresh for one instance at a time (drbd.py), and so are the moves chosen with them."""

from __future__ import annotations

import importlib
import random
from collections import Counter

import numpy as np
import pytest

from app.engine.balance.apply import apply_move
from app.engine.balance.bulk import failovers, left, moves
from app.engine.balance.cache import Kept
from app.engine.balance.drbd import drbd_candidates
from app.engine.balance.options import BalanceOptions
from app.engine.balance.step import best_move, movable
from tests.support import docs as d, gen
from tests.support.hbal import NEUTRAL_REQUEST, with_empty_nodes

cache = importlib.import_module("app.engine.balance.cache")


def _cluster(seed: int, mig_tags: bool = False) -> d.Cluster:
    spec = gen.ClusterSpec(nodes=8, instances_per_node=4, fill=0.7, location_tags=True, drained=0.1)
    doc = with_empty_nodes(gen.generate(spec, seed), 2, random.Random(seed))
    if mig_tags:  # migrations from zone b to zone a are refused
        doc["cluster_tags"] = [
            *doc["cluster_tags"],
            "htools:migration:zone",
            "htools:allowmigration:zone:a::zone:b",
        ]
        for k, node in enumerate(doc["nodes"].values()):
            node["tags"] = [*node.get("tags", []), "zone:a" if k % 3 else "zone:b"]
    return d.cluster_of(doc | {"request": NEUTRAL_REQUEST})


def _same_as_fresh(c: d.Cluster, kept: Kept, opts: BalanceOptions) -> int:
    """Check every kept instance's moves against drbd_candidates; the number checked."""
    insts = c.instances
    held = [i for i in movable(c, kept.online, opts) if kept.keeps(np.array([i]))[0]]
    for i in held:
        p, s = int(insts.pnode[i]), int(insts.snode[i])
        targets = kept.online[(kept.online != p) & (kept.online != s)]
        fresh = drbd_candidates(c, i, targets, 0, kept.kinds, True, Counter(), kept.force)
        lf = left(c, np.full(len(targets), i), kept.force)
        for kc in fresh.kinds:
            ok, changed = moves(c, lf, targets, kc.kind, kept.force)
            np.testing.assert_array_equal(ok, kc.ok)
            for (nodes_a, values_a), (nodes_b, values_b) in zip(changed, kc.changed, strict=True):
                np.testing.assert_array_equal(nodes_a, nodes_b)
                np.testing.assert_array_equal(values_a[:, ok], values_b[:, ok])
        ok_f, changed_f = failovers(c, left(c, np.array([i]), kept.force), kept.force)
        assert bool(ok_f[0]) == (fresh.failover is not None)
        if fresh.failover is not None:
            for (_, a), (_, b) in zip(changed_f, fresh.failover[1], strict=True):
                np.testing.assert_array_equal(a, b)
    return len(held)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("force", [False, True])
def test_bulk_moves_equal_fresh_ones_step_after_step(seed: int, force: bool) -> None:
    c = _cluster(seed, mig_tags=seed % 2 == 1)
    nodes = c.group_nodes(0)
    opts = BalanceOptions(ignore_soft_errors=force)
    kept = Kept(c, nodes, opts)
    assert kept.usable
    for _ in range(6):
        assert _same_as_fresh(c, kept, opts) > 0
        choice = best_move(c, nodes, movable(c, nodes, opts), opts, kept)
        if choice is None:
            break
        i = choice.instance
        before = {int(c.instances.pnode[i]), int(c.instances.snode[i])}
        assert apply_move(c, i, choice.kind, choice.target, force) is None
        kept.moved(sorted(before | {int(c.instances.pnode[i]), int(c.instances.snode[i])} - {-1}))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("flags", [{}, {"ignore_soft_errors": True}, {"instance_moves": False},
                                   {"restricted_migration": True}])  # fmt: skip
def test_kept_moves_are_those_chosen_afresh(seed: int, flags: dict[str, bool]) -> None:
    _same_choices(seed, flags, True)


@pytest.mark.parametrize("seed", range(3))
def test_tables_made_at_each_step_choose_as_the_kept_one(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_CELLS", 200)  # too few for the group: tables of one instance
    _same_choices(seed, {}, False)


def _same_choices(seed: int, flags: dict[str, bool], fits: bool) -> None:
    c = _cluster(seed, mig_tags=seed % 3 == 2)
    nodes = c.group_nodes(0)
    opts = BalanceOptions(**flags)
    kept = Kept(c, nodes, opts)
    assert kept.fits == fits
    steps = 0
    for _ in range(12):
        victims = movable(c, nodes, opts)
        afresh = best_move(c, nodes, victims, opts)
        choice = best_move(c, nodes, victims, opts, kept)
        assert choice == afresh
        if choice is None:
            break
        i = choice.instance
        before = {int(c.instances.pnode[i]), int(c.instances.snode[i])}
        assert apply_move(c, i, choice.kind, choice.target, opts.ignore_soft_errors) is None
        kept.moved(sorted(before | {int(c.instances.pnode[i]), int(c.instances.snode[i])} - {-1}))
        steps += 1
    assert steps > 0
