"""`python -m app.cli balance FILE [hbal flags]` (app/cli_balance.py), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.engine.balance.test_plan import UNBALANCED
from tests.support import docs as d


@pytest.fixture
def unbalanced(tmp_path: Path) -> str:
    """The path of a file holding UNBALANCED (no request: hbal reads a cluster)."""
    path = tmp_path / "cluster.json"
    path.write_bytes(d.encode(UNBALANCED))
    return str(path)


def run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["balance", *args])
    out, err = capfd.readouterr()
    return status, out, err


def test_cli_balance_prints_the_plan_as_json(unbalanced: str, capfd: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capfd, unbalanced, "--max-length", "2")
    plan = json.loads(out)
    assert status == 0 and plan["moves"] == 2
    (group,) = plan["groups"]
    assert group["stop"] == "max-length" and len(group["steps"]) == 2
    assert group["final_score"] == group["steps"][-1]["score"] < group["initial_score"]
    assert all(isinstance(job, list) and job[0]["OP_ID"] for js in group["jobsets"] for job in js)


def test_cli_balance_commands_like_hbal(unbalanced: str, capfd: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capfd, unbalanced, "-C", "-l", "1")
    assert status == 0
    assert "Cluster score improved from" in out and "echo jobset 1, 1 jobs" in out and "gnt-instance" in out


def test_cli_balance_missing_file_one_line_status_1(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capfd, str(tmp_path / "nope.json"))
    assert status == 1 and out == "" and err.startswith("iallocd: cannot read")


def test_cli_balance_bad_document_one_line_status_1(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"nodes": {}}')
    status, _, err = run(capfd, str(path))
    assert status == 1 and err.startswith("iallocd: DocumentError") and err.count("\n") == 1


def test_cli_balance_offline_node_is_emptied(unbalanced: str, capfd: pytest.CaptureFixture[str]) -> None:
    node = sorted(UNBALANCED["nodes"])[0]
    status, out, _ = run(capfd, unbalanced, "-O", node, "--evac-mode")
    steps = json.loads(out)["groups"][0]["steps"]
    assert status == 0 and steps and all(node in s["from"] and node not in s["to"] for s in steps)


def test_cli_balance_unknown_offline_node_one_line_status_1(
    unbalanced: str, capfd: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capfd, unbalanced, "-O", "nosuch")
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "--offline" in err and "'nosuch'" in err


def test_cli_balance_max_seconds_gives_the_plan_so_far(
    unbalanced: str, capfd: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capfd, unbalanced, "--max-seconds", "1e-9")
    (group,) = json.loads(out)["groups"]
    assert status == 0 and group["stop"] == "deadline" and group["steps"] == []
    with pytest.raises(SystemExit):  # argparse's usage error, status 2
        run(capfd, unbalanced, "--max-seconds", "0")
    assert "not a positive number of seconds" in capfd.readouterr().err
