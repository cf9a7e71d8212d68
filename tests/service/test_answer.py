"""answer: what it leaves behind in a long-lived process."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from app.protocol import ClusterDocument
from app.service.answer import WrongCluster, answer, reply_only
from tests.support import docs as d
from tests.support.shared import TESTDATA

# hail-invalid-reloc.json is refused before anything is built
_INPUTS = sorted(p.name for p in TESTDATA.glob("hail-*.json") if p.name != "hail-invalid-reloc.json")


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_collector")
@pytest.mark.parametrize("name", _INPUTS)
def test_answer_leaves_no_reference_cycles(name: str) -> None:
    # A cycle through the cluster model (e.g. its lazy instance specs referring back to the
    # cluster) keeps the whole JSON document alive in an engine process until the cyclic
    # collector runs, and that collection then costs tens of milliseconds in some later request.
    data = (TESTDATA / name).read_bytes()
    answer(data)  # first uses build some things once (schemas, signatures), cycles included
    gc.collect()
    assert answer(data).body
    assert gc.collect() == 0


@pytest.mark.parametrize("name", _INPUTS)
def test_reply_only_is_the_answer_without_the_records(name: str) -> None:
    data = (TESTDATA / name).read_bytes()
    params = ["--no-capacity-checks", "--unknown-one"]
    outcome = answer(data, params)
    assert reply_only(data, params) == (outcome.body, outcome.facts.warnings)
    assert outcome.facts.warnings  # the unknown parameter is warned about


def test_answer_inputs_found() -> None:
    assert len(_INPUTS) >= 18


def test_answer_retains_the_document_when_asked():
    data = (TESTDATA / "hail-alloc-drbd.json").read_bytes()
    retained: list[object] = []
    assert answer(data, retain=retained).body == answer(data).body
    (doc,) = retained
    assert isinstance(doc, ClusterDocument) and list(doc.nodes) == ["node1", "node2", "node3", "node4"]


def test_answer_document_of_another_cluster_refused_before_the_engine_runs():
    data = (TESTDATA / "hail-alloc-drbd.json").read_bytes()
    named = json.loads(data)["cluster_name"]
    with pytest.raises(WrongCluster, match=f"the document is for {named!r}, not 'other'"):
        answer(data, cluster="other")
    assert answer(data, cluster=named).body == answer(data).body


def test_answer_kept_when_applying_it_to_the_state_fails(monkeypatch, caplog):
    from app.service import answer as module

    def broken(*_args):
        raise RuntimeError("bookkeeping bug")

    data = d.encode(d.document({"n1": d.node(), "n2": d.node()}))
    expected = module.answer(data).body
    monkeypatch.setattr(module, "apply_placements", broken)
    outcome = module.answer(data)
    assert outcome.body == expected and outcome.placements == []
    assert outcome.summary.instances == 0  # the document as it came
    assert "could not be applied" in caplog.text
