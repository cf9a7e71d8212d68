"""Explaining move requests (app/engine/questions/explain_moves.py): per instance the first
candidate is what the answer did, the others follow by score, ruled-out nodes name their
constraint, an instance that could not move says why; tracing never changes an answer."""

from __future__ import annotations

import json
import random

import pytest

from app.cluster import Cluster, build_cluster
from app.engine import EngineOptions, Explanation, explain_request, options_from_params, run_request
from app.engine.questions.candidates import OFFLINE
from app.engine.questions.explain_moves import EVACUATED, OWN
from app.protocol import ClusterDocument, Request, dump_response, parse_document, parse_params
from tests.support import docs as d, gen

FOUR = {f"n{k}": d.node() for k in range(1, 5)}
DRBD = {"i1": d.instance(["n1", "n2"]), "x": d.instance(["n4", "n1"])}
GROUPS = {"uuid-one": d.group("one"), "uuid-two": d.group("two")}
TWO_GROUPS = {
    "n1": d.node("uuid-one"),
    "n2": d.node("uuid-one"),
    "n3": d.node("uuid-two"),
    "n4": d.node("uuid-two"),
    "n5": d.node("uuid-two", free_memory=4000),
}


def _parsed(doc: d.Doc, opts: EngineOptions) -> tuple[Cluster, Request]:
    parsed: ClusterDocument = parse_document(d.encode(doc))
    return build_cluster(parsed, opts.static_kvm_node_memory), parsed.request


def _explain(doc: d.Doc, *params: str, top: int = 5) -> Explanation:
    opts, _ = options_from_params(parse_params(params))
    return explain_request(*_parsed(doc, opts), opts, top)


def evacuate(instances: list[str], mode: str) -> d.Doc:
    return {"type": "node-evacuate", "instances": instances, "evac_mode": mode}


def relocate(name: str, nodes: list[str]) -> d.Doc:
    return {"type": "relocate", "name": name, "required_nodes": 1, "relocate_from": nodes}


def _moved(answer: d.Doc) -> dict[str, list[str]]:
    return {name: nodes for name, _, nodes in answer["result"][0]}


def _scores_ascend(e: Explanation) -> None:
    for m in e.moves:
        scores = [c.score for c in m.candidates]
        assert scores == sorted(scores), m.instance  # type: ignore[type-var]


def test_explain_node_evacuate_secondary_only_first_is_the_new_secondary():
    doc = d.document(FOUR | {"n3": d.node(free_memory=100)}, DRBD, evacuate(["i1"], "secondary-only"))
    e = _explain(doc)
    (m,) = e.moves
    assert (m.instance, m.mode, m.moved, m.error, m.why) == ("i1", "secondary-only", True, None, None)
    assert [(c.kind, c.nodes) for c in m.candidates] == [("replace_secondary", ("n1", "n4"))]
    assert list(m.candidates[0].nodes) == _moved(d.run(doc))["i1"]
    rejected = e.rejected["i1"].nodes
    assert {n: (r.code, r.constraint) for n, r in rejected.items()} == {
        "n1": (None, OWN),
        "n2": (None, EVACUATED),
        "n3": ("FailMem", "memory (incl. N+1 reservation)"),
    }


def test_explain_node_evacuate_candidates_best_first_top_kept():
    nodes = {f"n{k}": d.node(free_memory=16384 - 1500 * k) for k in range(1, 8)}
    doc = d.document(nodes, DRBD, evacuate(["i1"], "secondary-only"))
    e = _explain(doc, top=3)
    (m,) = e.moves
    assert len(m.candidates) == 3
    _scores_ascend(e)
    assert list(m.candidates[0].nodes) == _moved(d.run(doc))["i1"]


def test_explain_node_evacuate_primary_only_failover_has_no_score():
    doc = d.document(FOUR, DRBD, evacuate(["i1"], "primary-only"))
    (m,) = _explain(doc).moves
    assert [(c.kind, c.nodes, c.score) for c in m.candidates] == [("failover", ("n2", "n1"), None)]
    assert list(m.candidates[0].nodes) == _moved(d.run(doc))["i1"]


def test_explain_node_evacuate_all_pairs_and_their_rejections():
    nodes = FOUR | {"n5": d.node(), "n6": d.node(free_disk=100), "n7": d.node(offline=True)}
    doc = d.document(nodes, DRBD, evacuate(["i1"], "all"))
    e = _explain(doc)
    (m,) = e.moves
    assert m.moved and {c.kind for c in m.candidates} == {"change_all"}
    assert list(m.candidates[0].nodes) == _moved(d.run(doc))["i1"]
    assert len({c.nodes for c in m.candidates}) == len(m.candidates) == 5
    _scores_ascend(e)
    rejected = e.rejected["i1"]
    assert rejected.nodes["n6"].code == "FailDisk"
    assert rejected.nodes["n6"].constraint.startswith("disk, spindle ratio or disk template when ")
    assert rejected.nodes["n7"].constraint == OFFLINE
    assert rejected.secondary == {"FailDisk": 3}  # (n3|n4|n5, n6)


def test_explain_node_evacuate_failing_instance_lists_reasons():
    doc = d.document(FOUR | {"n3": d.node(free_memory=100)}, DRBD, evacuate(["i1"], "all"))
    e = _explain(doc)
    (m,) = e.moves
    answer = d.run(doc)
    assert not m.moved and m.candidates == []
    assert [[m.instance, m.error]] == answer["result"][1]
    assert m.why is not None and "memory (incl. N+1 reservation)" in m.why
    assert e.rejected["i1"].nodes["n3"].code == "FailMem"
    assert e.rejected["i1"].secondary == {"FailMem": 1}  # (n4, n3)


def test_explain_node_evacuate_evacuated_node_named():
    doc = d.document(FOUR, DRBD, evacuate(["i1", "x"], "secondary-only"))
    e = _explain(doc)
    assert [m.instance for m in e.moves] == ["i1", "x"]
    assert e.rejected["x"].nodes["n2"].constraint == EVACUATED  # i1's secondary, evacuated
    moved = _moved(d.run(doc))
    assert {m.instance: list(m.candidates[0].nodes) for m in e.moves} == moved


def test_explain_relocate_drbd_and_shared_first_is_the_result():
    insts = DRBD | {"s": d.instance(["n1"], template="sharedfile")}
    for name, nodes, kind, target in [
        ("i1", ["n2"], "replace_secondary", -1),
        ("s", ["n1"], "failover_to_any", 0),
    ]:
        doc = d.document(FOUR, insts, relocate(name, nodes))
        e = _explain(doc)
        (m,) = e.moves
        assert m.moved and m.candidates[0].kind == kind
        assert [m.candidates[0].nodes[target]] == d.run(doc)["result"]


def test_explain_relocate_nothing_fits_names_every_node():
    nodes = FOUR | {"n3": d.node(free_disk=100), "n4": d.node(free_disk=100)}
    doc = d.document(nodes, DRBD, relocate("i1", ["n2"]))
    e = _explain(doc)
    (m,) = e.moves
    assert not m.moved and m.error is not None and e.reply.info.endswith(m.error)
    assert {n: r.code for n, r in e.rejected["i1"].nodes.items() if r.code} == {
        "n3": "FailDisk",
        "n4": "FailDisk",
    }
    assert (
        m.why
        == "group default: 2 nodes tried; as new secondary, failed on 2 disk, spindle ratio or disk template"
    )


def test_explain_relocate_refused_before_moving():
    doc = d.document(FOUR, {"p": d.instance(["n1"])}, relocate("p", ["n1"]))
    e = _explain(doc)
    (m,) = e.moves
    assert (m.moved, m.mode, m.attempts, m.candidates) == (False, None, 0, [])
    assert m.error == e.reply.info == "Request failed: Can't relocate non-mirrored instances"


def test_explain_change_group_moves_and_group_choice():
    insts = {"i1": d.instance(["n1", "n2"]), "s": d.instance(["n1"], template="ext")}
    doc = d.document(
        TWO_GROUPS, insts, {"type": "change-group", "instances": ["i1", "s"], "target_groups": []}, GROUPS
    )
    e = _explain(doc)
    moved = _moved(d.run(doc))
    assert {m.instance: list(m.candidates[0].nodes) for m in e.moves} == moved
    assert {m.instance: m.candidates[0].kind for m in e.moves} == {"i1": "change_all", "s": "failover_to_any"}
    for m in e.moves:
        assert m.mode == "all"
        assert {c.group for c in m.candidates} == {"two"}
        assert m.group_choice and m.group_choice[0].group == "two"
    _scores_ascend(e)


def test_explain_change_group_failing_group_choice_lists_reasons():
    insts = {"i1": d.instance(["n1", "n2"], memory=8192)}
    nodes = TWO_GROUPS | {k: d.node("uuid-two", free_memory=1000) for k in ("n3", "n4", "n5")}
    doc = d.document(nodes, insts, {"type": "change-group", "instances": ["i1"], "target_groups": []}, GROUPS)
    e = _explain(doc)
    (m,) = e.moves
    assert not m.moved and m.candidates == [] and m.group_choice == []
    assert [[m.instance, m.error]] == d.run(doc)["result"][1]
    assert m.why is not None and m.why.startswith("group two: 3 nodes tried")
    assert {r.code for r in e.rejected["i1"].nodes.values()} == {"FailMem"}


def test_explain_multi_evacuate_first_is_the_new_secondary():
    doc = d.document(FOUR, DRBD, {"type": "multi-evacuate", "evac_nodes": ["n1"]})
    e = _explain(doc)
    answer = d.run(doc)
    assert answer["success"]
    assert [[m.instance, m.candidates[0].nodes[1]] for m in e.moves] == answer["result"]
    assert {m.mode for m in e.moves} == {"secondary-only"}


def _bytes(success: bool, info: str, result: object) -> bytes:
    return dump_response(success, info, result)


REQUESTS = [
    lambda doc, rng: gen.node_evacuate_request(doc, rng, rng.choice(gen.EVAC_MODES)),
    lambda doc, rng: gen.change_group_request(doc, rng, 3),
    gen.relocate_request,
    gen.multi_evacuate_request,
]


@pytest.mark.parametrize("kind", range(len(REQUESTS)))
@pytest.mark.parametrize("seed", range(4))
def test_explain_moves_answer_byte_identical_and_first_candidate_is_the_answer(seed, kind):
    rng = random.Random(seed)
    spec = gen.ClusterSpec(nodes=10, groups=2, templates=gen.mixed(), fill=0.8)
    doc = REQUESTS[kind](gen.generate(spec, seed), rng)
    opts = EngineOptions()
    plain = run_request(*_parsed(doc, opts), opts)
    e = explain_request(*_parsed(doc, opts), opts, 5)
    assert _bytes(e.reply.success, e.reply.info, e.reply.result) == _bytes(
        plain.success, plain.info, plain.result
    )
    assert e.reply == plain
    answer = json.loads(_bytes(plain.success, plain.info, plain.result))
    firsts = {m.instance: list(m.candidates[0].nodes) for m in e.moves if m.moved}
    if doc["request"]["type"] in ("node-evacuate", "change-group"):
        assert firsts == _moved(answer)
        assert {name for name, _ in answer["result"][1]} == {m.instance for m in e.moves if not m.moved}
    elif doc["request"]["type"] == "relocate" and answer["success"]:
        assert answer["result"][0] in firsts[doc["request"]["name"]]
    elif answer["success"]:  # multi-evacuate
        assert [[name, firsts[name][1]] for name, _ in answer["result"]] == answer["result"]
    _scores_ascend(e)


def test_explain_moves_trace_leaves_options_untouched():
    opts = EngineOptions()
    doc = d.document(FOUR, DRBD, evacuate(["i1"], "all"))
    assert _explain(doc).moves[0].moved
    explain_request(*_parsed(doc, opts), opts, 5)
    assert (opts.trace, opts.move_trace) == (None, None)


def test_explain_biggest_first_plan_candidates_are_those_of_the_answer():
    # request order moves small onto n2 and big nowhere; the answer moves big first (to n2),
    # then small to n3: the candidates are those of the plan answered, not of the first pass
    nodes = {"n1": d.node(free_memory=5120), "n2": d.node(free_memory=10752), "n3": d.node(free_memory=2048)}
    insts = {
        "small": d.instance(["n1"], memory=1024, template="rbd"),
        "big": d.instance(["n1"], memory=10240, template="rbd"),
    }
    doc = d.document(nodes, insts, evacuate(["small", "big"], "primary-only"))
    e = _explain(doc)
    assert _moved(d.run(doc)) == {"big": ["n2"], "small": ["n3"]}
    assert {m.instance: (m.moved, m.attempts, m.candidates[0].nodes) for m in e.moves} == {
        "small": (True, 1, ("n3",)),
        "big": (True, 1, ("n2",)),
    }
    assert e.rejected["small"].nodes["n2"].code == "FailMem"  # big took it


def test_explain_retried_instance_counts_its_attempts():
    # b fails over only once a has (tests/engine/requests/test_node_evacuate.py)
    nodes = {"n1": d.node(free_memory=4384), "n2": d.node(), "n3": d.node(free_memory=10384)}
    insts = {
        "a": d.instance(["n1", "n2"], memory=6000),
        "b": d.instance(["n1", "n3"], memory=6000),
        "c": d.instance(["n3", "n1"], memory=6000),
    }
    e = _explain(d.document(nodes, insts, evacuate(["b", "a"], "primary-only")))
    assert {m.instance: (m.moved, m.attempts, m.candidates[0].kind) for m in e.moves} == {
        "b": (True, 2, "failover"),
        "a": (True, 1, "failover"),
    }
