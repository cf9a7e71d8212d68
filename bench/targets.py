"""The performance targets (issues 7 and 17), read off the side-by-side results: what each asks,
what was measured, and whether it is met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.report import rss_ratio, rss_ratio_cell, speedup, speedup_cell, table
from bench.side_by_side import CaseResult

TARGET_COLUMNS = ("target", "case", "measured", "met")


@dataclass(frozen=True)
class Target:
    text: str
    nodes: int
    kind: str
    request: str
    capacity_checks: bool
    # "cli" or "e2e": speedup, at least goal; "rss": ours/hail, at most goal; "engine": seconds
    # in the service's engine (CaseResult.engine_seconds), under goal; "cli s" or "e2e s": wall
    # seconds of that run, at most goal
    measure: str
    goal: float


TARGETS = (
    Target("allocate, 1000 nodes, CLI: >= 10x", 1000, "drbd", "allocate drbd", False, "cli", 10),
    Target("allocate, 1000 nodes, e2e: >= 3x", 1000, "drbd", "allocate drbd", False, "e2e", 3),
    Target("allocate, 2000 nodes, CLI: >= 20x", 2000, "drbd", "allocate drbd", False, "cli", 20),
    Target("allocate, 2000 nodes: RSS <= 1/4 of hail", 2000, "drbd", "allocate drbd", False, "rss", 0.25),
    Target("node-evacuate, 500 nodes, CLI: >= 50x", 500, "drbd", "node-evacuate all", False, "cli", 50),
    Target("node-evacuate, 500 nodes, e2e: >= 50x", 500, "drbd", "node-evacuate all", False, "e2e", 50),
    Target("change-group, 500 nodes, CLI: >= 50x", 500, "drbd", "change-group 5", False, "cli", 50),
    Target("change-group, 500 nodes, e2e: >= 50x", 500, "drbd", "change-group 5", False, "e2e", 50),
    Target(
        "capacity checks, mixed 1000 nodes: < 1 s in the engine",
        1000, "mixed", "allocate drbd", True, "engine", 1.0,
    ),
    # issue 17
    Target("allocate, 20 nodes, e2e: <= 0.8x hail's time", 20, "drbd", "allocate drbd", False, "e2e", 1.25),
    Target("allocate, 20 nodes, CLI: <= 0.15 s", 20, "drbd", "allocate drbd", False, "cli s", 0.15),
    Target("allocate, 1000 nodes, e2e: <= 0.20 s", 1000, "drbd", "allocate drbd", False, "e2e s", 0.20),
    Target("allocate, 1000 nodes, e2e: >= 50x", 1000, "drbd", "allocate drbd", False, "e2e", 50),
    Target("allocate, 2000 nodes, e2e: <= 0.35 s", 2000, "drbd", "allocate drbd", False, "e2e s", 0.35),
    Target("allocate, 2000 nodes, e2e: >= 80x", 2000, "drbd", "allocate drbd", False, "e2e", 80),
    Target("change-group, 500 nodes, e2e: >= 60x", 500, "drbd", "change-group 5", False, "e2e", 60),
    Target("node-evacuate, 1000 nodes, e2e: <= 1 s", 1000, "drbd", "node-evacuate all", False, "e2e s", 1.0),
    Target("node-evacuate, 500 nodes, e2e: <= .25 s", 500, "drbd", "node-evacuate all", False, "e2e s", .25),
)  # fmt: skip


def _case_name(t: Target) -> str:
    checks = "capacity checks on" if t.capacity_checks else "no capacity checks"
    return f"{t.request}, {t.nodes} nodes {t.kind}, {checks}"


def _judge(t: Target, result: CaseResult, timeout: float) -> tuple[str, str]:
    """(measured, met) of one target."""
    if t.measure == "engine":
        if result.engine_seconds is None:
            return "not measured", "?"
        return f"{result.engine_seconds:.2f} s", "yes" if result.engine_seconds < t.goal else "no"
    if t.measure in ("cli s", "e2e s"):
        run = result.ours if t.measure == "cli s" else result.e2e
        if run.measured is None or not run.measured.ok:
            return "no answer", "no"
        seconds = run.measured.seconds
        return f"{seconds:.3f} s", "yes" if seconds <= t.goal else "no"
    if t.measure == "rss":
        found = rss_ratio(result.hail, result.ours)
        if found is None:
            return "?", "?"
        bound, ratio = found
        met = "yes" if ratio <= t.goal else "no" if not bound else "?"
        return rss_ratio_cell(result.hail, result.ours), met
    ours = result.ours if t.measure == "cli" else result.e2e
    found = speedup(result.hail, ours, timeout)
    if found is None:
        return "?", "?"
    bound, ratio = found
    if ratio >= t.goal:
        met = "?" if bound == "<" else "yes"
    else:
        met = "?" if bound == ">" else "no"
    return speedup_cell(result.hail, ours, timeout), met


def targets_section(results: Sequence[CaseResult], timeout: float) -> str | None:
    """The targets whose case was run, as a Markdown table (None when none was)."""
    rows = []
    for t in TARGETS:
        for r in results:
            c = r.case
            if (c.shape.nodes, c.shape.kind, c.request, c.capacity_checks) == (
                t.nodes, t.kind, t.request, t.capacity_checks,
            ):  # fmt: skip
                rows.append([t.text, _case_name(t), *_judge(t, r, timeout)])
    return table(TARGET_COLUMNS, rows) if rows else None
