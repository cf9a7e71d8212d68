"""The hail runner and the score reader."""

from __future__ import annotations

import pytest

from tests.support.hail import SKIP_REASON, HailError, hail_available, parse_score, run_hail, run_hail_cached
from tests.support.shared import load_testdata

OK = "Request successful: "
TAIL = "successes 2, failures 0 () for node(s) a/b"


@pytest.mark.parametrize(
    ("info", "score"),
    [
        (f"{OK}Selected group: default, Group default (preferred): score: 11.75836082, {TAIL}", 11.75836082),
        (
            f"{OK}Selected group: g2, Group g1 (preferred): score: 9.50000000, {TAIL}, "
            f"Group g2 (preferred): score: 7.25000000, {TAIL}",
            7.25,
        ),
        (
            f"{OK}Selected group: Group 1, group Group 2 is not connected to a network required by "
            f"instance i1, Group Group 1 (last_resort): score: 5.02861843, {TAIL}",
            5.02861843,
        ),
        (f"{OK}Group g1 (preferred): score: 3.00000000, {TAIL}", 3.0),
        (f"{OK}score: 2.02871860, {TAIL}", 2.0287186),
        (f"{OK}Selected group: default, Group default (preferred): score: ([0,0,1],20490), {TAIL}", None),
        (
            "Request failed: Group g1 (preferred): No valid allocation solutions, failure reasons: FailN1: 1",
            None,
        ),
        (f"{OK}success", None),
    ],
)
def test_parse_score_reads_selected_group(info, score):
    assert parse_score(info) == score


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=SKIP_REASON)
def test_run_hail_passes_params_after_the_file():
    doc = load_testdata("hail-alloc-twodisks.json")
    assert run_hail(doc)["success"] is False
    assert run_hail(doc, ["--no-capacity-checks"])["result"] == ["node1"]


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=SKIP_REASON)
def test_run_hail_bad_input_raises_with_stderr():
    with pytest.raises(HailError, match="Unable to read String") as err:
        run_hail(load_testdata("hail-invalid-reloc.json"))
    assert err.value.returncode == 1


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=SKIP_REASON)
def test_run_hail_bad_option_raises():
    with pytest.raises(HailError) as err:
        run_hail(load_testdata("hail-alloc-drbd.json"), ["--no-such-option"])
    assert err.value.returncode == 2


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=SKIP_REASON)
def test_run_hail_cached_same_answer_fresh_copy():
    doc = load_testdata("hail-alloc-drbd.json")
    first = run_hail_cached(doc)
    first["result"].append("mutated")
    assert run_hail_cached(doc) == run_hail(doc)
