"""Runs Ganeti's hail on a document, the way Ganeti's node daemon runs an iallocator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HAIL = "/usr/lib/ganeti/iallocators/hail"
SKIP_REASON = f"hail is not installed at {HAIL} (Debian package ganeti-htools; `make test-deps`)"

_SCORE = re.compile(r"score: ([0-9.]+),")
_cache: dict[tuple[str, tuple[str, ...]], str] = {}


class HailError(RuntimeError):
    """hail exited with a non-zero status (it refused the input or the parameters)."""

    def __init__(self, returncode: int, stderr: str):
        super().__init__(f"hail exited with status {returncode}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class HailRun:
    response: dict[str, Any]
    stderr: str  # warnings, e.g. "cluster has inconsistent data"
    seconds: float


def hail_available() -> bool:
    return os.access(HAIL, os.X_OK)


def call_hail(doc: dict[str, Any], params: Sequence[str] = (), timeout: float = 120) -> HailRun:
    """Run `hail FILE PARAMS...` (the input file first, as Ganeti does); raise HailError on a
    non-zero exit."""
    with tempfile.NamedTemporaryFile("w", prefix="ganeti-iallocator.", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        started = time.perf_counter()
        proc = subprocess.run([HAIL, f.name, *params], capture_output=True, text=True, timeout=timeout)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise HailError(proc.returncode, proc.stderr)
    return HailRun(json.loads(proc.stdout), proc.stderr, seconds)


def run_hail(doc: dict[str, Any], params: Sequence[str] = (), timeout: float = 120) -> dict[str, Any]:
    """hail's parsed response to `doc`."""
    return call_hail(doc, params, timeout).response


def run_hail_cached(doc: dict[str, Any], params: Sequence[str] = (), timeout: float = 120) -> dict[str, Any]:
    """Like run_hail, but each (document, parameters) is run once per test session."""
    key = (json.dumps(doc), tuple(params))
    if key not in _cache:
        _cache[key] = json.dumps(run_hail(doc, params, timeout))
    parsed: dict[str, Any] = json.loads(_cache[key])
    return parsed


def parse_score(info: str) -> float | None:
    """The cluster score after the placement, from an allocation info text (ALGORITHM.md 3.7,
    5.2): the selected group's `score: X`, or None when there is none (failures, moves, or
    dedicated allocation, whose score is a tuple)."""
    selected = re.match(r"(?:Request successful: )?Selected group: (.+?), ", info)
    if selected:
        # "Group <name> (<policy>): score: X" of the selected group
        match = re.search(rf"Group {re.escape(selected.group(1))} \([a-z_]+\): score: (\S+),", info)
        return _number(match.group(1)) if match else None
    match = _SCORE.search(info)
    return _number(match.group(1)) if match else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
