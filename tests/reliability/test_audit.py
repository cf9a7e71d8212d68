"""The soak's checker finds what it is there to find (it runs on made-up calls and rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.reliability.audit import Stored, audit
from tests.reliability.traffic import Call, instance_name

CLUSTER = "c00-small.example.com"
ANSWER = {"success": True, "info": "", "result": ["n1", "n2"]}


def call(seq: int, status: int = 0, stderr: str = "") -> Call:
    return Call(CLUSTER, seq, "small", 0.0, 0.1, status, ANSWER if status == 0 else None, stderr)


def row(seq: int, nodes: list[str] | None = None, decision: str | None = None) -> Stored:
    when = datetime(2026, 12, 3, 12, 0, seq, tzinfo=UTC)
    return Stored(
        decision or f"d{seq}", CLUSTER, when, instance_name(CLUSTER, seq), nodes or ["n1", "n2"], 10.0
    )


def test_sound_run_has_nothing_to_report():
    calls = [call(0), call(1, 1, "iallocd: no iallocd service answered: URL: HTTP 502\n"), call(2)]
    found = audit(calls, [row(0), row(1), row(2)], {CLUSTER: "d2"})
    assert (found.answered, found.failed_clearly, found.stored_unanswered) == (2, 1, 1)
    assert not (found.lost or found.duplicated or found.mismatched or found.stale_states or found.unclear)


def test_lost_duplicated_mismatched_and_stale_are_found():
    calls = [call(0), call(1), call(2)]
    rows = [row(0), row(0, decision="again"), row(2, nodes=["n3"])]
    found = audit(calls, rows, {CLUSTER: "d0"})
    assert found.lost == [instance_name(CLUSTER, 1)]
    assert found.duplicated == [instance_name(CLUSTER, 0)]
    assert found.mismatched == [instance_name(CLUSTER, 2)]
    assert found.stale_states == [CLUSTER]


def test_a_failure_without_one_line_is_unclear():
    calls = [
        call(0, 1, "Traceback (most recent call last):\n  ...\n"),
        call(1, -1, "(killed)"),
        call(2, 1, ""),
    ]
    assert len(audit(calls, [], {}).unclear) == 3
