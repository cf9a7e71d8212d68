"""Ganeti's own validators, fed with hail's answers and with answers Ganeti must refuse."""

from __future__ import annotations

import random

import pytest

from tests.support import gen
from tests.support.ganeti import (
    SKIP_REASON,
    ganeti_available,
    validate_opcode,
    validate_request,
    validate_response,
)
from tests.support.hail import SKIP_REASON as HAIL_SKIP, hail_available, run_hail
from tests.support.shared import load_testdata

pytestmark = pytest.mark.skipif(not ganeti_available(), reason=SKIP_REASON)
needs_hail = pytest.mark.skipif(not hail_available(), reason=HAIL_SKIP)

HAIL_INPUTS = [
    "hail-alloc-drbd.json",
    "hail-alloc-secondary.json",
    "hail-alloc-invalid-network.json",
    "hail-change-group.json",
    "hail-multialloc-dedicated.json",
    "hail-node-evac.json",
    "hail-reloc-drbd.json",
    "hail-reloc-drbd-crowded.json",
]
MIGRATE = {"OP_ID": "OP_INSTANCE_MIGRATE", "instance_name": "inst1"}


def _ok(result: object) -> dict[str, object]:
    return {"success": True, "info": "Request successful", "result": result}


@pytest.mark.hail
@needs_hail
@pytest.mark.parametrize("name", HAIL_INPUTS)
def test_validate_response_accepts_hail_on_testdata(name):
    doc = load_testdata(name)
    response = run_hail(doc)
    validate_response(doc, response)
    if doc["request"]["type"] in ("node-evacuate", "change-group"):
        assert response["result"][2], "expected jobs"
        for job in response["result"][2]:
            for op in job:
                validate_opcode(op)


@pytest.mark.hail
@needs_hail
def test_validate_response_multi_allocate_failed_pairs_rejected():
    """hail lists failed entries as [name, reason] (only with a top-level group_name, which
    Ganeti never sends); Ganeti 3.0 expects plain names and refuses the answer."""
    doc = gen.multi_allocate_request(gen.generate(gen.ClusterSpec(nodes=6), 3), random.Random(1), 2)
    doc["request"]["group_name"] = "default"
    doc["request"]["instances"][1]["memory"] = 10**7
    response = run_hail(doc, ["--no-capacity-checks"])
    allocated, failed = response["result"]
    assert response["success"] is True and len(allocated) == 1
    assert failed[0][0] == doc["request"]["instances"][1]["name"] and isinstance(failed[0][1], str)
    with pytest.raises(AssertionError, match="iallocator returned invalid result"):
        validate_response(doc, response)
    validate_response(doc, _ok([allocated, [failed[0][0]]]))


def test_validate_response_allocate_wrong_node_count_rejected():
    doc = load_testdata("hail-alloc-drbd.json")
    validate_response(doc, _ok(["node2", "node1"]))
    with pytest.raises(AssertionError, match=r"invalid number of nodes \(1\), required 2"):
        validate_response(doc, _ok(["node2"]))


def test_validate_response_relocate_other_group_rejected():
    doc = gen.generate(gen.ClusterSpec(nodes=8, groups=2), 2)
    doc = gen.relocate_request(doc, random.Random(0))
    inst = doc["instances"][doc["request"]["name"]]
    group = doc["nodes"][inst["nodes"][0]]["group"]
    same = next(n for n, d in doc["nodes"].items() if d["group"] == group and n not in inst["nodes"])
    other = next(n for n, d in doc["nodes"].items() if d["group"] != group)
    validate_response(doc, _ok([same]))
    with pytest.raises(AssertionError, match="Groups of nodes returned by iallocator"):
        validate_response(doc, _ok([other]))


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"success": False, "result": []}, "missing key 'info'"),
        ({"success": True, "info": ""}, "missing key 'result'"),
        ([True, "", []], "not a dict"),
    ],
)
def test_validate_response_envelope_checked_always(response, message):
    with pytest.raises(AssertionError, match=message):
        validate_response(load_testdata("hail-alloc-drbd.json"), response)


def test_validate_response_failure_result_ignored():
    doc = load_testdata("hail-node-evac.json")
    validate_response(doc, {"success": False, "info": "no", "result": "anything"})
    validate_response(doc, {"success": False, "info": "no", "nodes": []})  # Ganeti's old key


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("hail-node-evac.json", [[["instance2", ["node2", "node1"]]], [], []]),
        ("hail-node-evac.json", [[["instance2", "default", "node2"]], [], [[MIGRATE]]]),
        ("hail-change-group.json", [[], [["instance14"]], []]),
        ("hail-change-group.json", [[], [], [[{"OP_ID": "OP_INSTANCE_REMOVE"}]]]),
        ("hail-alloc-secondary.json", ["node-2-2"]),
    ],
)
def test_validate_response_malformed_result_rejected(name, result):
    with pytest.raises(AssertionError, match="iallocator returned invalid result"):
        validate_response(load_testdata(name), _ok(result))


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("hail-node-evac.json", [[["instance2", "default", ["node2", "node1"]]], [], []]),  # no job
        ("hail-reloc-drbd.json", ["no-such-node"]),  # unknown nodes have no group to compare
        ("hail-reloc-drbd.json", ["node1", "node2", "node3"]),  # relocate: any number of nodes
        ("hail-alloc-drbd.json", ["node1", "node1"]),  # the same node twice
    ],
)
def test_validate_response_quirks_accepted(name, result):
    """What Ganeti 3.0's master lets through (tests.support.validity catches these)."""
    validate_response(load_testdata(name), _ok(result))


def test_validate_response_multi_evacuate_pairs_of_names():
    doc = gen.multi_evacuate_request(gen.generate(gen.ClusterSpec(nodes=5), 1), random.Random(0))
    validate_response(doc, _ok([["inst1", "node1"]]))
    with pytest.raises(AssertionError, match="entries must be"):
        validate_response(doc, _ok([["inst1", ["node1"]]]))
    with pytest.raises(AssertionError, match="missing key 'info'"):
        validate_response(doc, {"success": True, "result": []})


def test_validate_opcode_defaults_filled():
    validate_opcode(MIGRATE)
    validate_opcode(MIGRATE | {"target_node": "node2", "allow_failover": True})
    validate_opcode(
        {"OP_ID": "OP_INSTANCE_REPLACE_DISKS", "instance_name": "inst1", "mode": "replace_new_secondary"}
    )


@pytest.mark.parametrize(
    "op",
    [
        {"OP_ID": "OP_NO_SUCH_THING", "instance_name": "inst1"},
        {key: value for key, value in MIGRATE.items() if key != "instance_name"},
        MIGRATE | {"allow_failover": "yes"},
        {"OP_ID": "OP_INSTANCE_REPLACE_DISKS", "instance_name": "inst1", "mode": "replace_everything"},
        {"instance_name": "inst1"},
    ],
)
def test_validate_opcode_invalid_rejected(op):
    with pytest.raises(AssertionError, match="Ganeti rejects opcode"):
        validate_opcode(op)


def test_validate_request_invalid_rejected():
    doc = gen.allocate_request(gen.generate(gen.ClusterSpec(nodes=4), 1), random.Random(0))
    validate_request(doc)
    doc["request"]["memory"] = -1
    with pytest.raises(AssertionError, match="Request parameter 'memory' has invalid"):
        validate_request(doc)
