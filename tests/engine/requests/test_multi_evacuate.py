"""The legacy `multi-evacuate` request (Ganeti 2.2-2.4, doc/iallocator-protocol-v2): new
secondaries for the DRBD instances whose secondary is on the given nodes, answered as
`[[instance, new secondary], ...]`; the whole request fails when one cannot move. hail 3.0
refuses this type, so the expectations are worked out by hand: each instance gets the
secondary node-evacuate secondary-only would give it."""

from __future__ import annotations

from tests.support import docs as d
from tests.support.answers import checked_run

NODES = {f"n{k}": d.node() for k in range(1, 6)}
INSTANCES = {
    "i1": d.instance(["n1", "n2"]),
    "i2": d.instance(["n3", "n2"]),
    "i3": d.instance(["n2", "n4"]),  # primary on n2: left alone when only n2 is evacuated
    "s": d.instance(["n2"], template="rbd"),
    "y": d.instance(["n5"]),
    "y2": d.instance(["n5"]),
}


def evacuate(*nodes: str) -> d.Doc:
    return {"type": "multi-evacuate", "evac_nodes": list(nodes)}


def test_multi_evacuate_new_secondaries_in_instance_order():
    # i1 (primary n1) may go to n3, n4, n5: n4 holds one secondary, n3 one primary, n5 two
    # primaries: n4. i2 (primary n3) then has n1, n4, n5: n4 now holds two: n1.
    doc = d.document(NODES, INSTANCES, evacuate("n2"))
    assert checked_run(doc) == {
        "success": True,
        "info": "Request successful: 2 instances got a new secondary",
        "result": [["i1", "n4"], ["i2", "n1"]],
    }


def test_multi_evacuate_evacuated_nodes_never_receive_a_secondary():
    # with n4 evacuated too, i3 moves off it and neither n2 nor n4 is a target
    doc = d.document(NODES, INSTANCES, evacuate("n2", "n4"))
    result = checked_run(doc)["result"]
    assert [name for name, _ in result] == ["i1", "i2", "i3"]
    assert not {node for _, node in result} & {"n2", "n4"}
    assert result == [["i1", "n3"], ["i2", "n1"], ["i3", "n3"]]


def test_multi_evacuate_node_without_secondaries_moves_nothing():
    doc = d.document(NODES, INSTANCES, evacuate("n5"))
    assert checked_run(doc) == {
        "success": True,
        "info": "Request successful: 0 instances got a new secondary",
        "result": [],
    }


def test_multi_evacuate_fails_as_a_whole_when_one_instance_cannot_move():
    full = {name: d.node(free_disk=100) for name in ("n1", "n3", "n4", "n5")}
    nodes = NODES | full | {"n4": d.node()}  # only n4 has room: i1 fits there, i2 then not
    insts = INSTANCES | {
        "i1": d.instance(["n1", "n2"], disks=[60000]),
        "i2": d.instance(["n3", "n2"], disks=[60000]),
    }
    doc = d.document(nodes, insts, evacuate("n2"))
    assert checked_run(doc) == {
        "success": False,
        "info": "Request failed: Can't evacuate instance i2: Can't find any good node:  "
        "Node n1 failed: FailDisk; Node n4 failed: FailDisk; Node n5 failed: FailDisk;",
        "result": [],
    }
