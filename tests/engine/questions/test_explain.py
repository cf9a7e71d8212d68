"""Explaining a request (app/engine/explain.py): the answer is the engine's, the first
candidate of each instance is the answer's choice, and rejections name the constraint."""

from __future__ import annotations

import json
import random

import pytest

from app.cluster import Cluster, build_cluster
from app.engine import EngineOptions, Explanation, explain_request, options_from_params
from app.engine.questions.candidates import (
    FAILED,
    NOT_CHECKED,
    OFF,
    OFFLINE,
    PASSED,
    RESTRICTED,
)
from app.protocol import ClusterDocument, Request, parse_document, parse_params
from tests.support import docs as d, gen


def _explain(doc: d.Doc, *params: str, top: int = 5) -> Explanation:
    opts, _ = options_from_params(parse_params(params))
    return explain_request(*_parsed(doc, opts), opts, top)


def _parsed(doc: d.Doc, opts: EngineOptions) -> tuple[Cluster, Request]:
    parsed: ClusterDocument = parse_document(d.encode(doc))
    return build_cluster(parsed, opts.static_kvm_node_memory), parsed.request


def _answer(e: Explanation) -> d.Doc:
    return {
        "success": e.reply.success,
        "info": e.reply.info,
        "result": json.loads(json.dumps(e.reply.result)),
    }


def test_explain_allocate_answer_and_first_candidate_are_allocates():
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n2"]), "i2": d.instance(["n3"])},
    )
    e = _explain(doc)
    assert _answer(e) == d.run(doc)
    assert [c.nodes for c in e.candidates] == [("n1",), ("n3",), ("n2",)]
    assert e.candidates[0].global_n1 == PASSED
    assert {c.global_n1 for c in e.candidates[1:]} == {NOT_CHECKED}


def test_explain_allocate_candidates_best_first_and_top_kept():
    doc = d.document({f"n{i}": d.node(free_memory=16384 - 1000 * i) for i in range(1, 6)})
    e = _explain(doc, top=3)
    scores = [c.score for c in e.candidates]
    assert len(e.candidates) == 3
    assert scores == sorted(scores)  # type: ignore[type-var]
    assert e.candidates[0].nodes == tuple(d.run(doc)["result"])


def test_explain_rejected_nodes_name_the_constraint():
    doc = d.document(
        {
            "n1": d.node(free_memory=500),
            "n2": d.node(),
            "n3": d.node(offline=True),
            "n4": d.node(),
            "n5": d.node(free_disk=100),
        },
        request=d.allocate(memory=2048, restrict=["n1", "n2", "n3", "n5"]),
    )
    rejected = _explain(doc).rejected["new"].nodes
    assert {name: (r.code, r.constraint) for name, r in rejected.items()} == {
        "n1": ("FailMem", "memory (incl. N+1 reservation)"),
        "n3": (None, OFFLINE),
        "n4": (None, RESTRICTED),
        "n5": ("FailDisk", "disk, spindle ratio or disk template"),
    }


def test_explain_drbd_pairs_failing_on_the_secondary_counted():
    # n3 has no disk left: as primary it fails (FailDisk), and as secondary of n1 and n2
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node(free_disk=500)},
        request=d.allocate(template="drbd"),
    )
    e = _explain(doc)
    rejected = e.rejected["new"]
    assert {n: r.code for n, r in rejected.nodes.items()} == {"n3": "FailDisk"}
    assert rejected.secondary == {"FailDisk": 2}
    assert e.candidates[0].nodes == tuple(d.run(doc)["result"])
    assert {c.nodes for c in e.candidates} == {("n1", "n2"), ("n2", "n1")}


def test_explain_global_n1_rejections_listed():
    # i1 (10 GiB) could not be re-created anywhere once n2 takes the new 8 GiB instance
    doc = d.document(
        {"n1": d.node(), "n2": d.node()},
        {"i1": d.instance(["n1"], memory=10240)},
        request=d.allocate(memory=8192),
    )
    e = _explain(doc)
    assert not e.reply.success and e.candidates == []
    rejected = e.rejected["new"]
    assert rejected.global_n1 == 1
    assert [(c.nodes, c.global_n1) for c in rejected.global_n1_candidates] == [(("n2",), FAILED)]
    assert {n: r.code for n, r in rejected.nodes.items()} == {"n1": "FailMem"}


def test_explain_no_capacity_checks_candidates_unchecked():
    doc = d.document(
        {"n1": d.node(), "n2": d.node()},
        {"i1": d.instance(["n1"], memory=10240)},
        request=d.allocate(memory=8192),
    )
    e = _explain(doc, "--no-capacity-checks")
    assert [(c.nodes, c.global_n1) for c in e.candidates] == [(("n2",), OFF)]
    assert e.rejected["new"].global_n1 == 0


def test_explain_groups_preferred_before_last_resort_unallocable_never():
    # the last_resort group's node is emptier (better score) but preferred wins; the
    # unallocable group is searched and never offered
    groups = {
        "uuid-a": d.group("a", policy="unallocable"),
        "uuid-b": d.group("b", policy="last_resort"),
        "uuid-c": d.group("c"),
    }
    doc = d.document(
        {
            "a1": d.node(group="uuid-a"),
            "b1": d.node(group="uuid-b"),
            "b2": d.node(group="uuid-b"),
            "c1": d.node(group="uuid-c"),
            "c2": d.node(group="uuid-c"),
        },
        {"i1": d.instance(["c1"]), "i2": d.instance(["c2"])},
        groups=groups,
    )
    e = _explain(doc)
    assert [(c.group, c.nodes, c.global_n1) for c in e.candidates] == [
        ("c", ("c2",), PASSED),
        ("c", ("c1",), NOT_CHECKED),
        ("b", ("b2",), PASSED),
        ("b", ("b1",), NOT_CHECKED),
    ]
    assert e.candidates[0].nodes == tuple(d.run(doc)["result"])


def test_explain_multi_allocate_each_entry_first_candidate_is_its_allocation():
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        request=d.multi_allocate(d.entry("x"), d.entry("y", template="drbd"), d.entry("z", memory=99999)),
    )
    e = _explain(doc)
    assert _answer(e) == d.run(doc)
    allocated = dict((name, tuple(nodes)) for name, nodes in d.run(doc)["result"][0])
    firsts: dict[str, tuple[str, ...]] = {}
    for c in e.candidates:
        firsts.setdefault(c.instance, c.nodes)
    assert firsts == allocated  # z fits nowhere: no candidate
    assert set(e.rejected) == {"x", "y", "z"}
    assert {r.code for r in e.rejected["z"].nodes.values()} == {"FailMem"}


def test_explain_allocate_secondary_first_pair_ends_with_answer():
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node(free_disk=100)},
        {"i1": d.instance(["n1"])},
        request=d.allocate_secondary("i1"),
    )
    e = _explain(doc)
    answer = d.run(doc)
    assert _answer(e) == answer
    assert e.candidates[0].nodes == ("n1", answer["result"])
    assert {c.nodes for c in e.candidates} == {("n1", "n2")}
    assert e.rejected["i1"].secondary == {"FailDisk": 1}
    assert e.rejected["i1"].nodes == {}


def test_explain_move_request_types_explained_as_moves():
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n1", "n2"])},
        request={"type": "node-evacuate", "instances": ["i1"], "evac_mode": "secondary-only"},
    )
    e = _explain(doc)
    assert _answer(e) == d.run(doc)
    assert e.candidates == []  # placements only: moves are in `moves`
    assert [(m.instance, m.candidates[0].nodes) for m in e.moves] == [("i1", ("n1", "n3"))]
    assert set(e.rejected) == {"i1"}


def test_explain_placements_have_no_moves():
    assert _explain(d.document({"n1": d.node()})).moves == []


def test_explain_trace_leaves_options_untouched():
    opts = EngineOptions()
    explain_request(*_parsed(d.document({"n1": d.node()}), opts), opts, 5)
    assert opts.trace is None


@pytest.mark.parametrize("seed", range(6))
def test_explain_generated_clusters_consistent_with_answer(seed):
    rng = random.Random(seed)
    spec = gen.ClusterSpec(nodes=10, groups=2, templates=gen.mixed())
    doc = gen.allocate_request(gen.generate(spec, seed), rng, rng.choice(["drbd", "plain"]))
    e = _explain(doc)
    answer = d.run(doc)
    assert _answer(e) == answer
    if answer["success"]:
        assert list(e.candidates[0].nodes) == answer["result"]
    else:
        assert e.candidates == []
