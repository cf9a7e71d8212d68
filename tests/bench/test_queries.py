"""The operator queries' section of the bench report (bench/queries.py) and which cluster it asks about."""

from __future__ import annotations

from bench.cases import Case, cluster_shape
from bench.queries import Timed, queries_section
from bench.run import _queried_cluster


def test_each_query_is_judged_by_its_median_against_the_target():
    found = [
        Timed("fast", 2.0, [0.010, 0.012, 0.500]),
        Timed("slow", None, [0.040, 0.050, 0.001]),
    ]
    lines = queries_section(found, "c").splitlines()
    rows = [line for line in lines if line.startswith(("| fast", "| slow"))]
    assert rows == [
        "| fast | 2000.0 | 12.0 | 500.0 | 4 | yes |",
        "| slow | - | 40.0 | 50.0 | 3 | no |",
    ]


def test_the_queries_ask_about_the_largest_drbd_cluster_up_to_1000_nodes():
    cases = [
        Case(cluster_shape(n, kind), "allocate drbd", False)
        for n, kind in ((20, "drbd"), (1000, "mixed"), (500, "drbd"), (2000, "drbd"))
    ]
    assert _queried_cluster(cases) == cluster_shape(500, "drbd").name
    assert _queried_cluster(cases[1:2]) is None
