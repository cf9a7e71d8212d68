"""`python -m bench.run [--quick]`: hail and iallocd side by side on generated clusters, then a
load run of the service; prints Markdown and writes it to bench/results/<date>-<mode>.md."""

from __future__ import annotations

import argparse
import compileall
import datetime
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.cases import Case, by_shape, full_matrix, quick_matrix
from bench.load import LoadPlan, load_on_own_service
from bench.queries import queries_section, time_queries
from bench.report import (
    CASE_COLUMNS,
    CASE_NOTES,
    STAGE_COLUMNS,
    STAGE_NOTES,
    case_row,
    load_average,
    load_section,
    machine_facts,
    markdown_row,
    stage_row,
    table,
)
from bench.service import bench_service
from bench.side_by_side import REPEAT_UNDER, CaseResult, Limits, SideBySide, startup_seconds, write_document
from bench.targets import targets_section
from tests.support.hail import SKIP_REASON, hail_available

RESULTS = Path(__file__).resolve().parent / "results"
APP = Path(__file__).resolve().parents[1] / "app"
GIB = 1024**3
QUERY_NODES = 1000  # issue 17's operator queries: on a 1000-node state


def run_cases(cases: Sequence[Case], runner: SideBySide, workdir: Path) -> list[CaseResult]:
    """Every case, smallest clusters first; a progress line per case on stderr."""
    results = []
    for shape, group in by_shape(list(cases)):
        cluster = shape.cluster()
        for case in group:
            slug = re.sub(r"\W+", "-", f"{shape.nodes}n-{shape.kind}-{case.request}")
            path = write_document(workdir / f"{slug}.json", case.document(cluster))
            result = runner.run(case, path)
            path.unlink()
            results.append(result)
            print(markdown_row(case_row(result, runner.limits.timeout)), file=sys.stderr, flush=True)
    return results


def _queried_cluster(cases: Sequence[Case]) -> str | None:
    """The cluster the operator queries ask about: the largest drbd one of up to 1000 nodes."""
    shapes = [c.shape for c in cases if c.shape.kind == "drbd" and c.shape.nodes <= QUERY_NODES]
    return max(shapes, key=lambda s: s.nodes).name if shapes else None


def run_bench(cases: Sequence[Case], plans: Sequence[LoadPlan], limits: Limits, title: str) -> str:
    """Run the cases against one fresh service and each load run against one of its own (its
    peak memory is then the load's, not the 2000-node cases'); the report as Markdown."""
    before = load_average()
    startup = [startup_seconds()]
    with tempfile.TemporaryDirectory(prefix="iallocd-bench-") as tmp:
        workdir = Path(tmp)
        with bench_service(workdir, limits.timeout) as service:
            results = run_cases(cases, SideBySide(service, limits), workdir)
            asked = _queried_cluster(cases)
            queries = time_queries(service, asked) if asked else []
        loads = [
            load_on_own_service(workdir / f"load-{k}", plan, limits.timeout) for k, plan in enumerate(plans)
        ]
    startup.append(startup_seconds())
    facts = machine_facts()
    facts.append(("load average at start", before))
    facts.append(("load average at end", load_average()))
    limit = f"{limits.address_space / GIB:g} GiB address space" if limits.address_space else "no memory limit"
    facts.append(("limits per run", f"{limits.timeout:g} s, {limit} (hail and ours)"))
    repeat = f"up to {limits.repeat} of each program, the median counts; one if over {REPEAT_UNDER:g} s"
    facts.append(("runs per case", repeat))
    started = " / ".join("failed" if s is None else f"{s:.2f} s" for s in startup)
    facts.append(("CLI start-up, no input (median of 5, at start / end)", started))
    parts = [
        f"# {title}",
        "",
        "The machine is shared with other developers running tests: mind the load average.",
        "",
        table(("machine and run", ""), facts),
        "",
        "## hail and iallocd side by side",
        "",
        table(CASE_COLUMNS, [case_row(r, limits.timeout) for r in results]),
        "",
        CASE_NOTES,
    ]
    stages = [row for row in map(stage_row, results) if row is not None]
    if stages:
        split = table(STAGE_COLUMNS, stages)
        parts += ["", "## Where the time went (shim+service)", "", split, "", STAGE_NOTES]
    targets = targets_section(results, limits.timeout)
    if targets is not None:
        parts += ["", "## Targets", "", targets]
    if queries:
        heading = f"## Operator queries on a kept state ({asked})"
        parts += ["", heading, "", queries_section(queries, asked)]
    for load in loads:
        plan = load.plan
        mix = f"{plan.large_clusters} of them large" if plan.large_clusters else "all small"
        parts += ["", f"## Load: one service, {plan.clusters} clusters ({mix})", "", load_section(load)]
    return "\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few sizes and requests: a few minutes")
    parser.add_argument("--timeout", type=float, help="seconds per run (default 120, quick 75)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each program per case (median)")
    parser.add_argument("--load-seconds", type=float, help="length of the load run (default 60, quick 10)")
    parser.add_argument("--memory-limit", type=float, default=8, help="GiB of address space per run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory of the Markdown report")
    args = parser.parse_args(argv)
    if not hail_available():
        print(f"bench: {SKIP_REASON}", file=sys.stderr)
        return 2
    mode = "quick" if args.quick else "full"
    limits = Limits(
        args.timeout or (75 if args.quick else 120), int(args.memory_limit * GIB) or None, max(1, args.repeat)
    )
    seconds = args.load_seconds or (10 if args.quick else 60)
    alone = 3 if args.quick else 10
    # small only first, then with large ones
    plans = [LoadPlan(seconds, alone, large_clusters=0), LoadPlan(seconds, alone)]
    # An installed package has its bytecode; a checkout may not (PYTHONDONTWRITEBYTECODE, or
    # sources changed since): compiling every module at each CLI start would be counted.
    compileall.compile_dir(APP, quiet=1)
    date = datetime.date.today().isoformat()
    cases = quick_matrix() if args.quick else full_matrix()
    report = run_bench(cases, plans, limits, f"iallocd vs hail, {date} ({mode})")
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{date}-{mode}.md"
    path.write_text(report)
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
