"""The `relocate` request (ALGORITHM.md 5.3): a new secondary for a DRBD instance, a new
primary for a shared-storage one. Expected answers were checked against hail 3.0.2 on the
same documents (the node numbers in the refusal texts are hail's internal indices)."""

from __future__ import annotations

from tests.support import docs as d
from tests.support.answers import checked_run

NODES = {f"n{k}": d.node() for k in range(1, 5)}
INSTANCES = {
    "i1": d.instance(["n1", "n2"]),
    "s": d.instance(["n1"], template="sharedfile"),
    "p": d.instance(["n1"]),
    "x": d.instance(["n3"]),
}


def relocate(name: str, nodes: list[str], required: int = 1) -> d.Doc:
    return {"type": "relocate", "name": name, "required_nodes": required, "relocate_from": nodes}


def refused(text: str) -> d.Doc:
    return {"success": False, "info": f"Request failed: {text}", "result": []}


def test_relocate_drbd_gets_the_best_new_secondary():
    doc = d.document(NODES, INSTANCES, relocate("i1", ["n2"]))
    assert checked_run(doc) == {"success": True, "info": "Request successful: success", "result": ["n4"]}


def test_relocate_shared_storage_gets_a_new_primary():
    doc = d.document(NODES, INSTANCES, relocate("s", ["n1"]))
    assert checked_run(doc) == {"success": True, "info": "Request successful: success", "result": ["n4"]}


def test_relocate_refusals_in_hails_words():
    cases = [
        (relocate("p", ["n1"]), "Can't relocate non-mirrored instances"),
        (relocate("i1", ["n2"], 2), "Exchange 2 nodes mode is not implemented"),
        (
            relocate("i1", ["n1"]),
            "Unsupported request: excluded nodes not equal to instance's secondary(1 versus [0])",
        ),
        (
            relocate("i1", ["n2", "n3"]),
            "Unsupported request: excluded nodes not equal to instance's secondary(1 versus [1,2])",
        ),
        (
            relocate("s", ["n2"]),
            "Unsupported request: excluded nodes not equal to instance's primary(0 versus [1])",
        ),
    ]
    for request, text in cases:
        assert checked_run(d.document(NODES, INSTANCES, request)) == refused(text), text


def test_relocate_nothing_fits_lists_every_node_tried():
    nodes = NODES | {"n3": d.node(free_disk=100), "n4": d.node(free_disk=100)}
    doc = d.document(nodes, INSTANCES, relocate("i1", ["n2"]))
    assert checked_run(doc) == refused(
        "Can't find any good node:  Node n3 failed: FailDisk; Node n4 failed: FailDisk;"
    )


def test_relocate_ignore_soft_errors_applies():
    nodes = NODES | {"n3": d.node(spindles=1), "n4": d.node(spindles=1)}
    # spindle-ratio 32 x 1 spindle: a spindle_use of 40 exceeds it (a soft check)
    insts = {"i1": d.instance(["n1", "n2"], spindle_use=40)}
    doc = d.document(nodes, insts, relocate("i1", ["n2"]))
    assert not checked_run(doc)["success"]
    assert checked_run(doc, "--ignore-soft-errors")["result"] == ["n4"]
