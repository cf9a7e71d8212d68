"""Markdown for the results: the machine, the side-by-side table and the load run."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence

import numpy as np

from bench.cases import Shape
from bench.load import LOAD_REQUESTS, LoadResult, percentile
from bench.side_by_side import CaseResult, Run
from tests.shim.fakes import REPO
from tests.support.hail import HAIL

CASE_COLUMNS = (
    "nodes",
    "groups",
    "mix",
    "request",
    "capacity checks",
    "hail s",
    "ours s",
    "speedup",
    "shim+service s",
    "e2e speedup",
    "engine s",
    "hail MB",
    "ours MB",
    "RSS ours/hail",
    "agree",
)
LOAD_COLUMNS = (
    "documents",
    "clusters",
    "requests",
    "req/s",
    "p50 s",
    "p99 s",
    "alone p50 s",
    "alone p99 s",
    "in service p50 s",
    "engine p50 s",
)

CASE_NOTES = """\
- Each run is a fresh process, one after the other: hail and `python -m app.cli` read the input
  file and print the answer (process start and parsing included); shim+service is `shim/iallocd`
  posting the file to the live service (loopback, SQLite store, decision recorded). Wall time and
  peak RSS (MB = MiB) of exactly that child, from os.wait4.
- `> T`: killed after T s, the speedup is then a lower bound (`> Nx`) and the RSS a lower bound;
  `skipped`: it already took longer than T on a smaller cluster of the same mix and request.
- speedup = hail s / ours s; RSS ours/hail below 1 means we use less memory. A CLI run first pays
  its start-up (Python, NumPy, pydantic, the app: "CLI start-up" above), which bounds the CLI's
  speedup at hail s / start-up however fast the engine; shim+service pays only the shim's.
- engine s: the time the service recorded in the engine for the shim's runs (parsing, building
  the cluster and deciding; no process start, no transfer), median.
- agree: same `success`; for allocate our score (from `info`) at most hail's + 1e-6; for
  multi-allocate and evacuations at least as many instances placed or moved; and the answer through
  the shim and service equals the CLI's."""


def markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [markdown_row(columns), "|" + "---|" * len(columns), *map(markdown_row, rows)]
    return "\n".join(lines)


def _output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, cwd=REPO)
    except OSError as exc:
        return f"unavailable ({exc.strerror})"
    return done.stdout.strip()


def _proc_value(path: str, key: str) -> str:
    with open(path) as f:
        for line in f:
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    return "?"


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1 / 5 / 15 min)"


def machine_facts() -> list[tuple[str, str]]:
    """What the numbers depend on (the load average is not here: take it at start and end)."""
    memory_kib = int(_proc_value("/proc/meminfo", "MemTotal").split()[0])
    revision = _output(["git", "rev-parse", "--short", "HEAD"])
    changed = " with uncommitted changes" if _output(["git", "status", "--porcelain"]) else ""
    return [
        ("cores (nproc)", f"{len(os.sched_getaffinity(0))} of {os.cpu_count()}"),
        ("CPU", _proc_value("/proc/cpuinfo", "model name")),
        ("memory", f"{memory_kib / 1024**2:.1f} GiB"),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("hail", _output([HAIL, "--version"]).split("\n")[0]),
        ("kernel", platform.release()),
        ("iallocd", f"git {revision}{changed}"),
    ]


def seconds_cell(run: Run, timeout: float) -> str:
    if run.skipped is not None:
        return f"> {timeout:g} (skipped: > {timeout:g} at {run.skipped} nodes)"
    if run.measured is None:
        return "–"
    if run.measured.timed_out:
        return f"> {timeout:g}"
    if run.measured.out_of_memory:
        return "out of memory"
    if run.measured.returncode != 0:
        return f"exit {run.measured.returncode}"
    return f"{run.measured.seconds:.2f}"


def _bounds(run: Run, timeout: float) -> tuple[float, bool] | None:
    """(seconds, exact); not exact when it is only a lower bound (timed out or skipped)."""
    if run.skipped is not None:
        return timeout, False
    if run.measured is None or (run.measured.returncode != 0 and not run.measured.timed_out):
        return None
    if run.measured.timed_out:
        return max(run.measured.seconds, timeout), False
    return run.measured.seconds, True


def speedup(hail: Run, ours: Run, timeout: float) -> tuple[str, float] | None:
    """hail s / ours s as (bound, ratio): bound "" exact, ">" at least, "<" at most."""
    theirs, mine = _bounds(hail, timeout), _bounds(ours, timeout)
    if theirs is None or mine is None or not (mine[1] or theirs[1]):
        return None
    ratio = theirs[0] / mine[0]
    return ("<" if not mine[1] else "" if theirs[1] else ">"), ratio


def speedup_cell(hail: Run, ours: Run, timeout: float) -> str:
    found = speedup(hail, ours, timeout)
    if found is None:
        return "?"
    bound, ratio = found
    return f"{bound} {ratio:.1f}x".lstrip()


def rss_cell(run: Run) -> str:
    if run.measured is None:
        return "–"
    mib = run.measured.max_rss_kib / 1024
    return f"≥ {mib:.0f}" if run.measured.timed_out else f"{mib:.0f}"


def rss_ratio(hail: Run, ours: Run) -> tuple[str, float] | None:
    """ours / hail peak RSS as (bound, ratio): bound "" exact, "≤" at most (hail was killed)."""
    if hail.measured is None or ours.measured is None or ours.measured.timed_out:
        return None
    ratio = ours.measured.max_rss_kib / max(hail.measured.max_rss_kib, 1)
    return ("≤" if hail.measured.timed_out else ""), ratio


def rss_ratio_cell(hail: Run, ours: Run) -> str:
    found = rss_ratio(hail, ours)
    return "–" if found is None else f"{found[0]} {found[1]:.2f}".lstrip()


def case_row(result: CaseResult, timeout: float) -> list[str]:
    case = result.case
    return [
        str(case.shape.nodes),
        str(case.shape.groups),
        case.shape.kind,
        case.request,
        "on" if case.capacity_checks else "off",
        seconds_cell(result.hail, timeout),
        seconds_cell(result.ours, timeout),
        speedup_cell(result.hail, result.ours, timeout),
        seconds_cell(result.e2e, timeout),
        speedup_cell(result.hail, result.e2e, timeout),
        "–" if result.engine_seconds is None else f"{result.engine_seconds:.2f}",
        rss_cell(result.hail),
        rss_cell(result.ours),
        rss_ratio_cell(result.hail, result.ours),
        result.agreement,
    ]


STAGE_COLUMNS = (
    "nodes", "groups", "mix", "request", "capacity checks", "shim+service s", "shim and HTTP s",
    "in service s", "engine s", "parse s", "build s", "decide s", "state s",
)  # fmt: skip
STAGE_NOTES = """\
- Medians. shim and HTTP = the shim's wall time less `in service` (body received to answer, as the
  service recorded it); `in service` less `engine` is the queue, unpacking and storing the
  decision before the answer goes out.
- parse (JSON and protocol models), build (cluster arrays), decide (the request and its response
  bytes) and state (the decision applied to a copy and summarised, kept by the service only):
  the engine's own functions on the same document in the bench's process (bench/stages.py)."""


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.3f}"


def stage_row(result: CaseResult) -> list[str] | None:
    """One case's time split, or None when it did not run through the service."""
    case, e2e, st = result.case, result.e2e, result.stages
    if e2e.measured is None or not e2e.measured.ok or st is None or result.in_service is None:
        return None
    wall = e2e.measured.seconds
    return [
        str(case.shape.nodes), str(case.shape.groups), case.shape.kind, case.request,
        "on" if case.capacity_checks else "off", _ms(wall), _ms(wall - result.in_service),
        _ms(result.in_service), _ms(result.engine_seconds),
        _ms(st.parse), _ms(st.build), _ms(st.decide), _ms(st.state),
    ]  # fmt: skip


def _load_row(result: LoadResult, size: str, shape: Shape, clusters: int) -> list[str]:
    loaded = [s for s in result.loaded if s.size == size]
    alone = [s.seconds for s in result.alone if s.size == size]
    timings = [result.timings[s.decision] for s in loaded if s.decision in result.timings]
    latencies = [s.seconds for s in loaded]
    return [
        f"{size} ({shape.nodes} nodes, {shape.groups} group{'s' * (shape.groups > 1)})",
        str(clusters),
        str(len(loaded)),
        f"{len(loaded) / result.elapsed:.2f}",
        f"{percentile(latencies, 50):.3f}",
        f"{percentile(latencies, 99):.3f}",
        f"{percentile(alone, 50):.3f}",
        f"{percentile(alone, 99):.3f}",
        f"{percentile([t.in_service for t in timings], 50):.3f}",
        f"{percentile([t.engine for t in timings], 50):.3f}",
    ]


def load_section(result: LoadResult) -> str:
    """The load run: per size throughput and latency under load and alone, errors, the verdict."""
    plan = result.plan
    small_clusters = plan.clusters - plan.large_clusters
    rows = [_load_row(result, "small", plan.small, small_clusters)]
    small_p99 = percentile([s.seconds for s in result.loaded if s.size == "small"], 99)
    held_line = f"- small requests p99 under load: {small_p99:.3f} s (no large clusters in this run)."
    if plan.large_clusters:
        rows.append(_load_row(result, "large", plan.large, plan.large_clusters))
        large_p50 = percentile([s.seconds for s in result.loaded if s.size == "large"], 50)
        held = "**yes**" if small_p99 >= large_p50 else "no"
        held_line = (
            f"- small requests held up by large ones: {held} (small p99 under load {small_p99:.3f} s, "
            f"large p50 {large_p50:.3f} s)."
        )
    errors = ", ".join(f"{status} x{n}" for status, n in sorted(result.errors().items())) or "none"
    lines = [
        table(LOAD_COLUMNS, rows),
        "",
        f"- {plan.clusters} clusters post concurrently, each one request at a time, for {plan.seconds:g} s "
        f"(all done after {result.elapsed:.1f} s); they alternate {' and '.join(LOAD_REQUESTS)} with "
        f"{' '.join(plan.params) or 'no parameters'}, gzip-compressed as the shim sends them.",
        f"- throughput: {len(result.loaded) / result.elapsed:.2f} requests/s in all; errors: {errors}.",
        held_line,
        "- `alone`: one client of that size, nothing else running; `in service`: body received to "
        "answer as the service recorded it (queue wait included); `engine`: time in the engine.",
        "- service peak RSS (a service started for this run: main process, fork server and engine "
        f"workers, sum of VmHWM): {result.service_peak_mib:.0f} MB.",
    ]
    return "\n".join(lines)
