"""hbal's balancing loop and its options (app/engine/balance/plan.py, step.py)."""

from __future__ import annotations

import importlib
import random
import time
from types import SimpleNamespace

import pytest

from app.engine import BalanceOptions, balance
from app.engine.score.metrics import score_of
from app.protocol.errors import ParameterError
from tests.support import docs as d, gen
from tests.support.hbal import NEUTRAL_REQUEST, with_empty_nodes

cache = importlib.import_module("app.engine.balance.cache")
step = importlib.import_module("app.engine.balance.step")
UNBALANCED = with_empty_nodes(
    gen.generate(gen.ClusterSpec(nodes=6, instances_per_node=3), 5), 2, random.Random(5)
)


def cluster(doc: gen.Doc = UNBALANCED) -> d.Cluster:
    return d.cluster_of(doc | {"request": NEUTRAL_REQUEST})


def test_balance_lowers_the_score_step_by_step_and_leaves_the_cluster() -> None:
    c = cluster()
    before = score_of(c, c.group_nodes(0))
    (plan,) = balance(c, BalanceOptions())
    scores = [plan.initial_score] + [s.score for s in plan.steps]
    assert plan.steps and all(a > b for a, b in zip(scores, scores[1:], strict=False))
    assert plan.initial_score == before == score_of(c, c.group_nodes(0))
    assert plan.stop in ("no-improvement", "min-gain", "min-score")


def test_balance_max_length_caps_the_plan() -> None:
    (plan,) = balance(cluster(), BalanceOptions(max_length=2))
    assert len(plan.steps) == 2 and plan.stop == "max-length"


def test_balance_no_disk_moves_only_fails_over() -> None:
    (plan,) = balance(cluster(), BalanceOptions(disk_moves=False))
    assert {s.kind for s in plan.steps} <= {"failover"}


def test_balance_no_instance_moves_only_replaces_secondaries() -> None:
    (plan,) = balance(cluster(), BalanceOptions(instance_moves=False))
    assert plan.steps and {s.kind for s in plan.steps} == {"replace_secondary"}


def test_balance_evac_mode_moves_only_instances_of_offline_nodes() -> None:
    doc = gen.generate(gen.ClusterSpec(nodes=8, instances_per_node=3, drained=0.25), 2)
    drained = {n for n, v in doc["nodes"].items() if v["drained"]}
    (plan,) = balance(cluster(doc), BalanceOptions(evac_mode=True))
    assert plan.steps and all(set(s.old_nodes) & drained for s in plan.steps)


def test_balance_excluded_instances_stay() -> None:
    (first,) = balance(cluster(), BalanceOptions(max_length=1))
    name = first.steps[0].instance
    (plan,) = balance(cluster(), BalanceOptions(exclude_instances=(name,)))
    assert name not in {s.instance for s in plan.steps}


def test_balance_huge_min_gain_limit_and_gain_stops_at_once() -> None:
    (plan,) = balance(cluster(), BalanceOptions(min_gain=1e6, min_gain_limit=1e6))
    assert plan.steps == [] and plan.stop == "min-gain"


def test_balance_unknown_group_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="no single node group"):
        balance(cluster(), BalanceOptions(group="nosuch"))


def test_balance_each_group_in_turn_or_the_one_named() -> None:
    doc = gen.generate(gen.ClusterSpec(nodes=8, groups=2, instances_per_node=3), 3)
    names = gen.group_names(doc)
    assert [p.group for p in balance(cluster(doc), BalanceOptions())] == names
    assert [p.group for p in balance(cluster(doc), BalanceOptions(group=names[1]))] == [names[1]]


def test_balance_past_deadline_stops_before_the_first_step() -> None:
    (plan,) = balance(cluster(), BalanceOptions(), deadline=0.0)
    assert plan.steps == [] and plan.stop == "deadline"


def test_balance_deadline_passing_in_a_step_computed_afresh_ends_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache, "MAX_CELLS", 0)  # no kept candidates: every step afresh
    monkeypatch.setattr(step, "CHUNK_CANDIDATES", 1)  # one instance at a time
    (first,) = balance(cluster(), BalanceOptions(max_length=1))
    assert first.steps and first.stop == "max-length"  # the step alone completes
    monkeypatch.setattr(step, "time", SimpleNamespace(monotonic=lambda: float("inf")))
    (plan,) = balance(cluster(), BalanceOptions(), deadline=time.monotonic() + 1000)
    assert plan.steps == [] and plan.stop == "deadline"
