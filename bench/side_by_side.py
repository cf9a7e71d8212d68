"""One case run three ways, one after the other: hail, `python -m app.cli` (both as Ganeti runs an
iallocator: a fresh process that parses the file) and the shim posting to the live service."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.cases import Case
from bench.compare import disagreement
from bench.measure import Measured, run_measured
from bench.service import BenchService
from bench.stages import Stages, engine_stages
from tests.shim.fakes import REPO
from tests.support.hail import HAIL

Answer = dict[str, Any]


REPEAT_UNDER = 10.0  # runs shorter than this are repeated: the machine's noise is a large part of them


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds per run, hail's and ours alike
    address_space: int | None  # bytes of address space for hail and the engine (RLIMIT_AS)
    repeat: int = 3  # runs of each program per case (while under REPEAT_UNDER s); the median counts


def median_run(run: Callable[[], Measured], times: int) -> Measured:
    """The run of median wall time among up to `times` runs; a failed run, or one longer than
    REPEAT_UNDER seconds, ends the series (and is the answer when it is the first)."""
    runs = [run()]
    while len(runs) < times and runs[-1].ok and runs[-1].seconds < REPEAT_UNDER:
        runs.append(run())
    if not runs[-1].ok:
        return runs[-1]
    return sorted(runs, key=lambda m: m.seconds)[(len(runs) - 1) // 2]


# What every CLI run pays before it reads its input: Python, NumPy, pydantic and the app's modules.
STARTUP = (sys.executable, "-c", "import app.service.answer")


def startup_seconds(times: int = 5) -> float | None:
    """The CLI's start-up alone (median wall time of `times` runs), None if it failed."""
    run = median_run(lambda: run_measured(STARTUP, timeout=60, cwd=REPO), times)
    return run.seconds if run.ok else None


@dataclass(frozen=True)
class Run:
    """One program's run of a case; `skipped` names the smaller cluster where it already timed out."""

    measured: Measured | None
    skipped: int | None = None

    @property
    def answer(self) -> Answer | None:
        if self.measured is None or not self.measured.ok:
            return None
        try:
            parsed = json.loads(self.measured.stdout)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    @property
    def missing(self) -> str:
        """Why there is no answer."""
        measured = self.measured
        if self.skipped is not None:
            return f"skipped, timed out at {self.skipped} nodes"
        if measured is None:
            return "not run"
        if measured.timed_out:
            return f"killed after {measured.seconds:.0f} s"
        if measured.out_of_memory:
            return "out of memory"
        if measured.returncode != 0:
            return f"exit {measured.returncode}: {' '.join(measured.stderr.split())[:120]}"
        return "no JSON object on stdout"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    hail: Run
    ours: Run
    e2e: Run
    agreement: str
    engine_seconds: float | None = None  # the service's engine time of the shim's runs (median)
    in_service: float | None = None  # body received to answer, as the service recorded it (median)
    stages: Stages | None = None  # the engine's stages on the same document, in the bench's process


class SideBySide:
    """Runs cases in order of size; a program that timed out on a request is not run again on
    larger clusters of the same mix (reported as `> T`, its time there being at least as long)."""

    def __init__(self, service: BenchService | None, limits: Limits) -> None:
        self.service = service
        self.limits = limits
        self._timed_out: dict[tuple[str, str, str, bool], int] = {}

    def run(self, case: Case, document: Path) -> CaseResult:
        hail = self._run("hail", case, [HAIL, str(document), *case.params], None)
        ours = self._run("ours", case, [sys.executable, "-m", "app.cli", str(document), *case.params], REPO)
        e2e, engine, in_service, stages = Run(None), None, None, None
        if self.service is not None and ours.answer is not None:
            since = datetime.datetime.now(datetime.UTC)
            argv = self.service.shim_command(document, case.params)
            env = {"IALLOCD_CONFIG": str(self.service.shim_config(case.shape.name))}
            limit, times = self.limits.timeout + 10, self.limits.repeat
            e2e = Run(median_run(lambda: run_measured(argv, timeout=limit, cwd="/", env=env), times))
            recorded = self.service.recorded(case.shape.name, since)
            if recorded:
                engine, in_service = (float(x) for x in np.median(np.array(recorded), axis=0))
            stages = engine_stages(document.read_bytes(), case.params)
        agreement = _agreement(case, hail, ours, e2e)
        return CaseResult(case, hail, ours, e2e, agreement, engine, in_service, stages)

    def _run(self, who: str, case: Case, argv: list[str], cwd: Path | None) -> Run:
        key = (who, case.shape.kind, case.request, case.capacity_checks)
        if key in self._timed_out:
            return Run(None, skipped=self._timed_out[key])
        limits = self.limits
        measured = median_run(
            lambda: run_measured(argv, timeout=limits.timeout, cwd=cwd, address_limit=limits.address_space),
            limits.repeat,
        )
        if measured.timed_out:
            self._timed_out[key] = case.shape.nodes
        return Run(measured)


def _agreement(case: Case, hail: Run, ours: Run, e2e: Run) -> str:
    if ours.answer is None:
        return f"n/a (ours: {ours.missing})"
    if hail.answer is None:
        verdict = f"n/a (hail: {hail.missing})"
    else:
        why = disagreement(case.request, hail.answer, ours.answer)
        verdict = "yes" if why is None else f"**no**: {why}"
    if e2e.measured is not None and e2e.answer is None:
        verdict += f"; **shim+service failed**: {e2e.missing}"
    elif e2e.measured is not None and e2e.answer != ours.answer:
        verdict += "; **shim+service answer differs from the CLI's**"
    return verdict


def write_document(path: Path, document: Answer) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path
