"""Keeps bench/ from rotting: one 20-node case side by side (hail, CLI, shim + live service) and
a one-second load run, through the same code as `make bench`."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bench.cases import Case, Shape
from bench.load import LoadPlan
from bench.measure import Measured
from bench.report import CASE_COLUMNS, LOAD_COLUMNS, STAGE_COLUMNS, markdown_row, speedup_cell
from bench.run import GIB, run_bench
from bench.side_by_side import REPEAT_UNDER, Limits, Run, median_run
from tests.support.hail import SKIP_REASON, hail_available


def _row(report: str, columns: tuple[str, ...], index: int = 0) -> list[str]:
    lines = report.splitlines()
    header = lines.index(markdown_row(columns))
    return lines[header + 2 + index].strip("| ").split(" | ")


def _run(seconds: float, timed_out: bool = False) -> Run:
    return Run(Measured(seconds, 1024, -9 if timed_out else 0, timed_out, b"", ""))


def test_speedup_cell_hail_timed_out_gives_lower_bound():
    assert speedup_cell(_run(10.2, timed_out=True), _run(0.5), timeout=10) == "> 20.4x"
    assert speedup_cell(_run(4.0), _run(0.5), timeout=10) == "8.0x"
    assert speedup_cell(_run(4.0), _run(10.1, timed_out=True), timeout=10) == "< 0.4x"


@pytest.mark.hail
@pytest.mark.slow
@pytest.mark.skipif(not hail_available(), reason=SKIP_REASON)
def test_run_bench_one_small_case_reports_every_column():
    case = Case(Shape(20, 1, "mixed"), "allocate drbd", capacity_checks=False)
    plan = LoadPlan(seconds=1, alone_seconds=0, clusters=2, large_clusters=1, large=Shape(40, 2, "drbd"))

    report = run_bench([case], [plan], Limits(timeout=10, address_space=8 * GIB), "smoke")

    cells = _row(report, CASE_COLUMNS)
    assert len(cells) == len(CASE_COLUMNS)
    assert cells[:5] == ["20", "1", "mixed", "allocate drbd", "off"]
    for column in ("hail s", "ours s", "shim+service s", "hail MB", "ours MB"):
        assert float(cells[CASE_COLUMNS.index(column)]) > 0, column
    assert cells[CASE_COLUMNS.index("speedup")].endswith("x")
    agreement = cells[-1]  # a verdict (yes or **no**: ...), and the service answered as the CLI did
    assert not agreement.startswith("n/a") and "differs" not in agreement, agreement
    split = dict(zip(STAGE_COLUMNS, _row(report, STAGE_COLUMNS), strict=True))
    wall = float(split["shim+service s"])
    parts = [float(split[k]) for k in ("shim and HTTP s", "in service s")]
    assert all(p > 0 for p in parts) and sum(parts) == pytest.approx(wall, abs=0.002)
    assert float(split["in service s"]) >= float(split["engine s"]) > 0
    assert all(float(split[k]) > 0 for k in ("parse s", "build s", "decide s", "state s"))
    small, large = _row(report, LOAD_COLUMNS, 0), _row(report, LOAD_COLUMNS, 1)
    assert small[0].startswith("small (20 nodes") and large[0].startswith("large (40 nodes")
    assert int(small[2]) > 0 and int(large[2]) > 0
    assert "errors: none" in report
    startup = re.search(r"\| CLI start-up, no input \(.*\) \| ([0-9.]+) s / ([0-9.]+) s \|", report)
    assert startup is not None and float(startup.group(1)) > 0 and float(startup.group(2)) > 0


def _series(*runs: Measured) -> tuple[list[Measured], Callable[[], Measured]]:
    left = list(runs)
    done: list[Measured] = []

    def run() -> Measured:
        done.append(left.pop(0))
        return done[-1]

    return done, run


def test_median_run_takes_median_and_stops_on_long_or_failed_runs():
    fast = [Measured(s, 1024, 0, False, b"", "") for s in (0.5, 0.3, 0.4)]
    done, run = _series(*fast)
    assert median_run(run, 3).seconds == 0.4 and len(done) == 3
    done, run = _series(Measured(REPEAT_UNDER + 1, 1024, 0, False, b"", ""), *fast)
    assert median_run(run, 3).seconds == REPEAT_UNDER + 1 and len(done) == 1
    failed = Measured(0.1, 1024, 1, False, b"", "boom")
    done, run = _series(fast[0], failed, fast[1])
    assert median_run(run, 3) is failed and len(done) == 2
