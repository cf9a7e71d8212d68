"""The iallocator protocol fuzzed through `python -m app.cli`: in-process (`app.cli.main`) for
the many documents, through the real subprocess for a few. Every document gets an answer (exit
0) or one line naming the field at fault (exit 1): no traceback, no internal error."""

from __future__ import annotations

import gc
import io
import json
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import event, given, settings

from app.cli import main
from tests.fuzz.documents import EXAMPLES, FUZZ, Fuzzed, documents

# `iallocd: DocumentError: <dotted path>: <reason>`: the path names the field
INPUT_ERROR = re.compile(r"^iallocd: DocumentError: (\(document\)|[a-z_]+\b).*: .+$")


@pytest.fixture(scope="module")
def request_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "request.json"


def run_in_process(path: Path) -> tuple[int, bytes, str]:
    out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = main([str(path)])
    finally:
        gc.enable()  # main turns the collector off: it expects to be a short process
    out.flush()
    return status, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


def check_outcome(fuzzed: Fuzzed, status: int, stdout: bytes, stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, (stderr, fuzzed.mutations)
    lines = [line for line in stderr.splitlines() if not line.startswith("iallocd: warning: ")]
    if status == 0:
        assert lines == [], stderr
        answer = json.loads(stdout)
        assert set(answer) == {"success", "info", "result"}
        event(f"cli: answered (success: {answer['success']})")
        return
    assert status == 1 and stdout == b"", (status, stdout, stderr)
    assert len(lines) == 1 and INPUT_ERROR.match(lines[0]), (lines, fuzzed.mutations)
    assert fuzzed.mutations, f"a valid document refused: {lines[0]}"
    event("cli: refused")


@FUZZ
@given(documents())
def test_cli_main_answers_or_names_the_field(request_file: Path, fuzzed: Fuzzed) -> None:
    event(f"document: {fuzzed.kind}")
    request_file.write_bytes(fuzzed.data)
    check_outcome(fuzzed, *run_in_process(request_file))


@settings(FUZZ, max_examples=max(5, EXAMPLES // 100))
@given(documents())
def test_cli_subprocess_answers_or_names_the_field(request_file: Path, fuzzed: Fuzzed) -> None:
    request_file.write_bytes(fuzzed.data)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", str(request_file)], capture_output=True, timeout=60, check=False
    )
    check_outcome(fuzzed, done.returncode, done.stdout, done.stderr.decode())
