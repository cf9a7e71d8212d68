"""`python -m app.cli FILE [--params]`: the engine as an iallocator, run as Ganeti runs one.

A few tests start the real command; the others call `main` in-process (same code, faster)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.support import docs as d

FITS = d.document({"n1": d.node(), "n2": d.node()})
NOTHING_FITS = d.document({"n1": d.node(), "n2": d.node()}, request=d.allocate(memory=99999))


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def run_main(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`main` in-process: exit status, stdout and stderr."""
    status = main(list(args))
    out, err = capfd.readouterr()
    return status, out, err


def write(tmp_path: Path, doc: d.Doc | bytes) -> str:
    path = tmp_path / "request.json"
    path.write_bytes(doc if isinstance(doc, bytes) else d.encode(doc))
    return str(path)


def one_line(stderr: bytes | str) -> str:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text.rstrip("\n")


def test_cli_success_prints_response_exit_zero(tmp_path):
    proc = cli(write(tmp_path, FITS))
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert json.loads(proc.stdout) == d.run(FITS)
    assert json.loads(proc.stdout)["result"] == ["n2"]


def test_cli_nothing_fits_prints_failure_exit_zero(tmp_path):
    proc = cli(write(tmp_path, NOTHING_FITS))
    assert (proc.returncode, proc.stderr) == (0, b"")
    out = json.loads(proc.stdout)
    assert (out["success"], out["result"]) == (False, [])
    assert out["info"].startswith("Request failed: Group default (preferred): No valid allocation solutions")


def test_cli_reads_stdin_dash():
    proc = cli("-", stdin=d.encode(FITS))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["result"] == ["n2"]


def test_cli_command_bad_input_one_line_exit_one(tmp_path):
    proc = cli(write(tmp_path, b"{not json"))
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert one_line(proc.stderr).startswith("iallocd: DocumentError: (document): not valid JSON")


def test_cli_parameters_change_behaviour(tmp_path, capfd):
    status, out, err = run_main(
        capfd, write(tmp_path, FITS), "--restrict-allocation-to=n1", "--no-capacity-checks"
    )
    assert status == 0
    assert json.loads(out)["result"] == ["n1"]


@pytest.mark.parametrize("missing", ["does-not-exist.json", "."])
def test_cli_unreadable_file_one_line_exit_one(tmp_path, capfd, missing):
    status, out, err = run_main(capfd, str(tmp_path / missing))
    assert (status, out) == (1, "")
    assert one_line(err).startswith(f"iallocd: cannot read {tmp_path / missing}: ")


@pytest.mark.parametrize("data", [b"{not json", b"", b"[1, 2]"])
def test_cli_invalid_json_one_line_exit_one(tmp_path, capfd, data):
    status, out, err = run_main(capfd, write(tmp_path, data))
    assert (status, out) == (1, "")
    assert one_line(err).startswith("iallocd: DocumentError: (document): ")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda doc: doc["nodes"]["n1"].update(free_memory="lots"), "nodes.n1.free_memory: "),
        (lambda doc: doc["request"].pop("memory"), "request.memory: "),
        (lambda doc: doc["nodes"]["n2"].update(group="nope"), "nodes.n2.group: "),
        (lambda doc: doc["request"].update(type="conquer"), "request.type: "),
    ],
)
def test_cli_invalid_document_names_field_path(tmp_path, capfd, change, path):
    doc = json.loads(d.encode(FITS))
    change(doc)
    status, out, err = run_main(capfd, write(tmp_path, doc))
    assert (status, out) == (1, "")
    assert one_line(err).startswith(f"iallocd: DocumentError: {path}")


def test_cli_invalid_document_reason_in_message(tmp_path, capfd):
    doc = json.loads(d.encode(FITS))
    doc["nodes"]["n1"]["free_memory"] = "lots"
    status, out, err = run_main(capfd, write(tmp_path, doc))
    assert one_line(err) == 'iallocd: DocumentError: nodes.n1.free_memory: expected an integer, got "lots"'


@pytest.mark.parametrize(
    ("param", "name"),
    [
        ("--static-kvm-node-memory=lots", "--static-kvm-node-memory"),
        ("--ignore-soft-errors=maybe", "--ignore-soft-errors"),
        ("--restrict-allocation-to", "--restrict-allocation-to"),
        ("stray", "stray"),
    ],
)
def test_cli_malformed_parameter_one_line_exit_one(tmp_path, capfd, param, name):
    status, out, err = run_main(capfd, write(tmp_path, FITS), param)
    assert (status, out) == (1, "")
    assert one_line(err).startswith(f"iallocd: ParameterError: {name}: ")


def test_cli_unknown_parameters_ignored_with_warning(tmp_path, capfd):
    status, out, err = run_main(capfd, write(tmp_path, FITS), "--mond=no", "--verbose")
    assert status == 0
    assert json.loads(out) == d.run(FITS)
    assert err.splitlines() == [
        "iallocd: warning: ignoring unknown parameter --mond",
        "iallocd: warning: ignoring unknown parameter --verbose",
    ]


def test_cli_no_file_usage_exit_two(capfd):
    status, out, err = run_main(
        capfd,
    )
    assert status == 2
    assert one_line(err).startswith("usage: python -m app.cli FILE")
