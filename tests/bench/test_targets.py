"""The targets table of the benchmark report (bench/targets.py)."""

from __future__ import annotations

from bench.cases import Case, Shape
from bench.measure import Measured
from bench.side_by_side import CaseResult, Run
from bench.targets import TARGET_COLUMNS, targets_section


def _run(seconds: float, rss_kib: int = 1024, timed_out: bool = False) -> Run:
    return Run(Measured(seconds, rss_kib, -9 if timed_out else 0, timed_out, b"{}", ""))


def _result(
    nodes: int, kind: str, request: str, hail: Run, ours: Run, e2e: Run, engine: float | None = None
) -> CaseResult:
    groups = {20: 1, 500: 4, 1000: 2, 2000: 4}[nodes]
    case = Case(Shape(nodes, groups, kind), request, capacity_checks=engine is not None)
    return CaseResult(case, hail, ours, e2e, "yes", engine)


def _rows(section: str) -> dict[str, list[str]]:
    lines = section.splitlines()[2:]
    return {cells[0]: cells[2:] for cells in (line.strip("| ").split(" | ") for line in lines)}


def test_targets_judged_with_bounds_from_timeouts():
    results = [
        _result(1000, "drbd", "allocate drbd", _run(9.0), _run(0.75), _run(3.5)),
        _result(2000, "drbd", "allocate drbd", _run(24.0, 4000), _run(1.5, 1200), _run(1.0)),
        _result(500, "drbd", "node-evacuate all", _run(75, timed_out=True), _run(1.0), _run(2.0)),
        _result(1000, "mixed", "allocate drbd", _run(75, timed_out=True), _run(1.2), _run(1.3), engine=0.62),
    ]
    section = targets_section(results, timeout=75)
    assert section is not None and section.splitlines()[0].startswith(f"| {TARGET_COLUMNS[0]} |")
    rows = _rows(section)
    assert rows["allocate, 1000 nodes, CLI: >= 10x"] == ["12.0x", "yes"]
    assert rows["allocate, 1000 nodes, e2e: >= 3x"] == ["2.6x", "no"]
    assert rows["allocate, 2000 nodes, CLI: >= 20x"] == ["16.0x", "no"]
    assert rows["allocate, 2000 nodes: RSS <= 1/4 of hail"] == ["0.30", "no"]
    # hail was killed: 75x is a lower bound, enough for 50x; a lower bound under 50x says nothing
    assert rows["node-evacuate, 500 nodes, CLI: >= 50x"] == ["> 75.0x", "yes"]
    assert rows["node-evacuate, 500 nodes, e2e: >= 50x"] == ["> 37.5x", "?"]
    assert rows["capacity checks, mixed 1000 nodes: < 1 s in the engine"] == ["0.62 s", "yes"]
    assert not any(name.startswith("change-group") for name in rows)  # its case was not run
    assert rows["allocate, 1000 nodes, e2e: <= 0.20 s"] == ["3.500 s", "no"]
    assert rows["node-evacuate, 500 nodes, e2e: <= .25 s"] == ["2.000 s", "no"]


def test_targets_in_seconds_and_against_hail_on_small_clusters():
    results = [_result(20, "drbd", "allocate drbd", _run(0.055), _run(0.14), _run(0.046))]
    rows = _rows(targets_section(results, timeout=75) or "")
    assert rows["allocate, 20 nodes, e2e: <= 0.8x hail's time"] == ["1.2x", "no"]  # 1.25x needed
    assert rows["allocate, 20 nodes, CLI: <= 0.15 s"] == ["0.140 s", "yes"]
    failed = [_result(20, "drbd", "allocate drbd", _run(0.055), _run(0.1, timed_out=True), _run(0.04))]
    assert _rows(targets_section(failed, timeout=75) or "")["allocate, 20 nodes, CLI: <= 0.15 s"] == [
        "no answer",
        "no",
    ]


def test_targets_none_when_no_target_case_ran():
    results = [_result(500, "drbd", "allocate drbd", _run(1.0), _run(0.5), _run(0.5))]
    assert targets_section(results, timeout=75) is None
