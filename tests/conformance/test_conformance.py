"""Ganeti's own hail test inputs through our CLI, checked by shared/tools/conformance."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.shared import REPO, SHARED

TOOL = SHARED / "tools" / "conformance"
EXPECTED = "26 passed, 0 failed"

pytestmark = pytest.mark.skipif(
    not TOOL.is_file(),
    reason=f"conformance tool not found at {TOOL} (set IALLOCD_SHARED to the shared/ folder)",
)


def test_conformance_ganeti_cases_all_pass():
    command = [sys.executable, str(TOOL), "--", sys.executable, "-m", "app.cli"]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    lines = proc.stdout.strip().splitlines()
    failures = "\n".join(line for line in lines if line.startswith("FAIL"))
    last = lines[-1] if lines else "(no output)"
    assert last == EXPECTED, f"{last}\n{failures or proc.stderr[-3000:]}"
