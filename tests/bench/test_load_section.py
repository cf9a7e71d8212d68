"""The load run's section of the bench report (bench/report.py: load_section)."""

from __future__ import annotations

from bench.load import LoadPlan, LoadResult, Sample
from bench.report import load_section


def _result(plan: LoadPlan, sizes: list[str]) -> LoadResult:
    loaded = [Sample(size, 0.01 * (k + 1), "200") for k, size in enumerate(sizes)]
    return LoadResult(plan, elapsed=2.0, loaded=loaded, alone=[Sample(s, 0.01, "200") for s in set(sizes)])


def test_small_only_run_has_one_row_and_no_held_up_verdict():
    text = load_section(_result(LoadPlan(1, 1, clusters=10, large_clusters=0), ["small"] * 100))
    rows = [line for line in text.splitlines() if line.startswith(("| small", "| large"))]
    assert len(rows) == 1 and rows[0].startswith("| small (20 nodes, 1 group) | 10 | 100 | 50.00 |")
    assert "no large clusters in this run" in text and "held up" not in text


def test_mixed_run_judges_small_against_large():
    text = load_section(_result(LoadPlan(1, 1), ["small"] * 10 + ["large"] * 2))
    assert "| large (1000 nodes, 2 groups) | 3 | 2 |" in text
    assert "small requests held up by large ones: no" in text
