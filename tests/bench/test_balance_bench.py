"""bench/balance.py's rows: a killed hbal gives a lower bound on the speed-up."""

from __future__ import annotations

import json

from bench.balance import _row
from bench.measure import Measured
from tests.support import gen

DOC = gen.generate(gen.ClusterSpec(nodes=4, instances_per_node=2), 1)
PLAN = {
    "groups": [{"steps": [{"instance": "i", "to": ["a", "b"]}], "final_score": 1.5, "stop": "no-improvement"}]
}


def test_killed_hbal_row_gives_its_time_limit_as_a_bound() -> None:
    hbal = Measured(420.0, 40 * 1024, -9, True, b"", "")
    ours = Measured(4.2, 100 * 1024, 0, False, json.dumps(PLAN).encode(), "")
    cells = _row(4, DOC, hbal, ours).strip("| ").split(" | ")
    assert cells[2] == "> 420 s (killed)"
    assert cells[4:] == ["4.2 s, 100 MiB", "1 moves, 1.50000000", "-", "> 100.0x"]


def test_large_cluster_row_without_hbal_says_when_the_plan_was_cut() -> None:
    cut = {"groups": [PLAN["groups"][0] | {"stop": "deadline", "initial_score": 3.0}]}
    ours = Measured(50.5, 900 * 1024, 0, False, json.dumps(cut).encode(), "")
    cells = _row(500, DOC, None, ours).strip("| ").split(" | ")
    assert cells[2] == "not run" and cells[4] == "50.5 s, 900 MiB"
    assert cells[5] == "1 moves, 1.50000000 (the plan after 50 s: 3.00000000 before)" and cells[7] == "-"
