"""The `allocate-secondary` request (ALGORITHM.md 5.7): a DRBD secondary for an existing
plain instance. iallocd differs from hail on purpose in one point (section 9.4): offline and
drained nodes are never offered as the new secondary."""

from __future__ import annotations

from typing import Any

from tests.support import docs as d


def _doc(nodes: dict[str, d.Doc], instances: dict[str, d.Doc] | None = None, **kwargs: Any) -> d.Doc:
    instances = {"p": d.instance(["n1"], memory=2048)} | (instances or {})
    return d.document(nodes, instances, request=d.allocate_secondary("p"), **kwargs)


def test_allocate_secondary_emptiest_node_same_as_hail():
    doc = _doc(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"other": d.instance(["n3"])},
    )
    assert d.run(doc) == {
        "success": True,
        "info": "Request successful: score: 1.59365740, successes 2, failures 0 () for node(s) n1/n2",
        "result": "n2",
    }


def test_allocate_secondary_already_has_secondary_fails():
    doc = d.document(
        {"n1": d.node(), "n2": d.node()},
        {"p": d.instance(["n1", "n2"])},
        request=d.allocate_secondary("p"),
    )
    assert d.run(doc) == {
        "success": False,
        "info": "Request failed: Instance already has a secondary",
        "result": [],
    }


def test_allocate_secondary_drained_and_offline_nodes_never_chosen():
    # hail counts the drained n2 as a success and the offline n3 (no data) as FailDisk
    doc = _doc(
        {
            "n1": d.node(),
            "n2": d.node(drained=True),
            "n3": d.node(offline=True),
            "n4": d.node(),
        },
        {"busy": d.instance(["n4"]), "busy2": d.instance(["n4"])},
    )
    out = d.run(doc)
    assert out["result"] == "n4"
    assert out["info"].endswith("successes 1, failures 0 () for node(s) n1/n4")


def test_allocate_secondary_only_drained_candidates_fails():
    # hail answers n2, a drained node
    doc = _doc({"n1": d.node(), "n2": d.node(drained=True)})
    out = d.run(doc)
    assert out == {
        "success": False,
        "info": "Request failed: No valid allocation solutions, failure reasons: unknown reasons",
        "result": [],
    }


def test_allocate_secondary_charges_disk_without_drbd_metadata():
    # the plain instance's disk_space_total (1024) is charged on the secondary:
    # 1025 - 1024 > 0 fits, 1024 - 1024 <= 0 does not (no 128 MiB metadata added).
    # (With capacity checks hail fails here: its N+1 simulation still sees the plain
    # instance on n1 next to its DRBD copy and cannot re-create it; iallocd sees it once.)
    doc = _doc({"n1": d.node(), "n2": d.node(free_disk=1025), "n3": d.node(free_disk=1024)})
    out = d.run(doc, "--no-capacity-checks")
    assert out["result"] == "n2"
    assert out["info"].endswith("successes 1, failures 1 (FailDisk: 1) for node(s) n1/n2")
    assert d.run(doc)["result"] == "n2"


def test_allocate_secondary_secondary_memory_reservation():
    # as secondary, a node must keep more than the instance's 2048 MiB unallocated
    doc = _doc({"n1": d.node(), "n2": d.node(free_memory=2048), "n3": d.node(free_memory=2049)})
    out = d.run(doc)
    assert out["result"] == "n3"
    assert "failures 1 (FailMem: 1)" in out["info"]


def test_allocate_secondary_ipolicy_must_allow_drbd():
    ipol = d.ipolicy(templates=["plain"])
    doc = _doc({"n1": d.node(), "n2": d.node(), "n3": d.node()}, groups={d.GROUP: d.group(ipol=ipol)})
    out = d.run(doc)
    assert out["success"] is False
    assert out["info"] == "Request failed: No valid allocation solutions, failure reasons: FailDisk: 2"


def test_allocate_secondary_stays_in_primary_group():
    groups = {"g1": d.group("one"), "g2": d.group("two")}
    doc = _doc(
        {"n1": d.node(group="g1"), "n2": d.node(group="g1"), "n3": d.node(group="g2")},
        {"busy": d.instance(["n2"]), "busy2": d.instance(["n2"])},
        groups=groups,
    )
    out = d.run(doc)
    assert out["result"] == "n2"
    assert "successes 1, failures 0 ()" in out["info"]


def test_allocate_secondary_global_capacity_check_applies():
    # n3's 14000 MiB plain instance cannot be re-created on n1 (10000 MiB unallocated) or
    # n2 (12000): the cluster is not N+1 redundant, so both secondaries are dropped
    doc = _doc(
        {"n1": d.node(free_memory=10000), "n2": d.node(free_memory=12000), "n3": d.node()},
        {"big": d.instance(["n3"], memory=14000)},
    )
    out = d.run(doc)
    assert out == {
        "success": False,
        "info": "Request failed: No valid allocation solutions, failure reasons: FailN1: 2",
        "result": [],
    }
    assert d.run(doc, "--no-capacity-checks")["result"] == "n2"


def test_allocate_secondary_node_reservation_is_per_primary():
    # n2 already backs up 1024 MiB of n1: with p (2048) that is 3072 >= 3000 unallocated
    doc = _doc(
        {"n1": d.node(), "n2": d.node(free_memory=3000)},
        {"x": d.instance(["n1", "n2"], memory=1024)},
    )
    out = d.run(doc, "--no-capacity-checks")
    assert out["info"] == "Request failed: No valid allocation solutions, failure reasons: FailMem: 1"
