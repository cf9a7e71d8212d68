"""Dedicated allocation on exclusive-storage groups (ALGORITHM.md 7.1): candidates are
ranked by the policy-minimum instances they can no longer take, then by free disk."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import docs as d

# the policy minimum: 1024 MiB, 1 cpu, one 10240 MiB disk, 1 spindle
MIN = d.ispec(memory=1024, cpus=1, disk=10240, disks=1, spindles=1)
MAX = d.ispec(memory=65536, cpus=16, disk=1048576, disks=4, spindles=8)
SMALL_MIN = d.ispec(memory=512, cpus=1, disk=1024, disks=1, spindles=1)
POLICY = d.ipolicy(minmax=[(MIN, MAX)])


def _excl(free_disk: int, **kwargs: Any) -> d.Doc:
    return d.node(exclusive=True, spindles=10, free_disk=free_disk, **kwargs)


def _doc(nodes: dict[str, d.Doc], request: d.Doc | None = None, ipol: d.Doc = POLICY, **kwargs: Any) -> d.Doc:
    request = request or d.allocate(disks=[10240], spindles=1)
    return d.document(nodes, request=request, groups={d.GROUP: d.group(ipol=ipol)}, **kwargs)


def test_dedicated_single_node_least_lost_capacity_hand_computed():
    # copies of the minimum (10240 MiB disk) a node can take: while free disk stays > 0.
    # x1: 50000 -> 4 copies; after the new 10240 MiB disk 39760 -> 3: lost [1], disk 39760
    # x2: 40000 -> 3 copies; after: 29760 -> 2:                      lost [1], disk 29760
    # equal loss, less free disk left wins: x2 (the tightest fit)
    out = d.run(_doc({"x1": _excl(50000), "x2": _excl(40000)}))
    assert out == {
        "success": True,
        "info": "Request successful: Selected group: default, Group default (preferred): "
        "score: ([1],29760), successes 2, failures 0 () for node(s) x2",
        "result": ["x2"],
    }


def test_dedicated_lost_capacity_before_free_disk():
    # copies of the minimum (10240 MiB disk) each node takes, before -> after the new disk:
    # x1 45000 -> 34760: 4 -> 3; x2 41000 -> 30760: 4 -> 3; x3 20481 -> 10241: 2 -> 1;
    # x4 30720 -> 20480: 2 -> 1 (a copy must leave more than 0). All lose [1]: the least
    # free disk left wins, x3.
    nodes = {"x1": _excl(45000), "x2": _excl(41000), "x3": _excl(20481), "x4": _excl(30720)}
    assert d.run(_doc(nodes))["info"].endswith(
        "score: ([1],10241), successes 4, failures 0 () for node(s) x3"
    )
    # A second, smaller minimum (512 MiB, 1024 MiB disk) comes second in the vector (sorted
    # by disk size, descending). Its copies are bounded by disk and by memory: 16384 MiB
    # takes 31 copies of 512 (512 left), 29 once the new 1024 MiB instance is there.
    # x1: min(43, 31) -> min(33, 29): lost 2; x2: min(40, 31) -> min(30, 29): lost 2;
    # x3: 20 -> 10: lost 10; x4: 29 -> 19: lost 10. [1, 2] beats [1, 10]; then x2's
    # 30760 MiB beats x1's 34760.
    two = d.ipolicy(minmax=[(SMALL_MIN, MAX), (MIN, MAX)])
    out = d.run(_doc(nodes, ipol=two))
    assert out["info"].endswith("score: ([1,2],30760), successes 4, failures 0 () for node(s) x2")


def test_dedicated_pair_sums_both_nodes():
    nodes = {"x1": _excl(50000), "x2": _excl(40000), "x3": _excl(30000)}
    out = d.run(_doc(nodes, d.allocate(disks=[10240], spindles=1, template="drbd")))
    # every pair loses [2]; free disk after = sum of both minus 2 * 10368: x3 + x2 is lowest
    assert out["info"].endswith("score: ([2],49264), successes 6, failures 0 () for node(s) x3/x2")
    assert out["result"] == ["x3", "x2"]


def test_dedicated_no_global_capacity_check():
    # one node, plain: the normal path would fail the global N+1 check (nowhere to
    # re-create the instance); the dedicated path does not check it
    assert d.run(_doc({"x1": _excl(50000)}))["result"] == ["x1"]


def test_dedicated_disk_without_spindles_fails_spindles():
    out = d.run(_doc({"x1": _excl(50000), "x2": _excl(50000)}, d.allocate(disks=[10240])))
    assert out["info"] == (
        "Request failed: Group default (preferred): No valid allocation solutions, failure reasons: "
        "FailSpindles: 2"
    )


def test_dedicated_not_when_a_node_lacks_exclusive_storage():
    # one ordinary node in the group: the normal balancing score is used
    out = d.run(_doc({"x1": _excl(50000), "n1": d.node()}), "--no-capacity-checks")
    assert "score: (" not in out["info"]
    assert out["success"] is True


@pytest.mark.parametrize("name", ["one", "uuid-one"])
def test_dedicated_group_name_only_that_group_matters(name):
    # hail only matches group *names* here and takes the dedicated path by accident for a
    # UUID (ALGORITHM.md 9.12); iallocd treats name and UUID alike
    groups = {"uuid-one": d.group("one", ipol=POLICY), "uuid-two": d.group("two", ipol=POLICY)}
    doc = d.document(
        {"x1": _excl(50000, group="uuid-one"), "n1": d.node(group="uuid-two")},
        request=d.allocate(disks=[10240], spindles=1, group_name=name),
        groups=groups,
    )
    assert d.run(doc) == {
        "success": True,
        "info": "Request successful: Group one (preferred): score: ([1],39760), successes 1, failures 0 () "
        "for node(s) x1",
        "result": ["x1"],
    }


def test_dedicated_only_unallocable_groups_stays_on_normal_path():
    # hail switches to the dedicated path when no group is allocable, whatever the storage
    # (vacuous truth, ALGORITHM.md 7.1); iallocd keeps the normal path and selects nothing
    doc = d.document({"n1": d.node(), "n2": d.node()}, groups={d.GROUP: d.group(policy="unallocable")})
    out = d.run(doc)
    assert out["success"] is False
    assert out["info"].startswith("Request failed: Group default (unallocable): score: ")


def test_dedicated_group_choice_preferred_first_unallocable_never():
    groups = {
        "uuid-one": d.group("one", "last_resort", ipol=POLICY),
        "uuid-two": d.group("two", ipol=POLICY),
        "uuid-three": d.group("three", "unallocable", ipol=POLICY),
    }
    doc = d.document(
        {
            "a": _excl(20000, group="uuid-one"),
            "b": _excl(90000, group="uuid-two"),
            "c": _excl(15000, group="uuid-three"),
        },
        request=d.allocate(disks=[10240], spindles=1),
        groups=groups,
    )
    out = d.run(doc)
    assert out["result"] == ["b"]
    assert out["info"] == (
        "Request successful: Selected group: two, "
        "Group one (last_resort): score: ([1],9760), successes 1, failures 0 () for node(s) a, "
        "Group two (preferred): score: ([1],79760), successes 1, failures 0 () for node(s) b, "
        "Group three (unallocable): score: ([1],4760), successes 1, failures 0 () for node(s) c"
    )
    doc["nodes"]["b"]["free_disk"] = 5000
    assert d.run(doc)["result"] == ["a"]  # last_resort before nothing
    doc["nodes"]["a"]["free_disk"] = 5000
    out = d.run(doc)
    assert (out["success"], out["result"]) == (False, [])
    assert out["info"].endswith(
        "Group three (unallocable): score: ([1],4760), successes 1, failures 0 () for node(s) c"
    )


def test_dedicated_network_not_connected_message():
    groups = {
        "uuid-one": d.group("one", ipol=POLICY),
        "uuid-two": d.group("two", networks=["net"], ipol=POLICY),
    }
    doc = d.document(
        {"a": _excl(20000, group="uuid-one"), "b": _excl(20000, group="uuid-two")},
        request=d.allocate(disks=[10240], spindles=1, networks=["net"]),
        groups=groups,
    )
    out = d.run(doc)
    assert out["result"] == ["b"]
    assert out["info"].startswith(
        "Request successful: Selected group: two, Group one: error The group one is not connected to a "
        "network required by instance new, Group two (preferred): score: "
    )


def test_dedicated_multi_allocate_earlier_entries_count():
    # e1: x1 30000 -> 19760 (2 -> 1 copies) beats x2 40000 -> 29760 (3 -> 2) on free disk.
    # e2 sees x1 at 19760: 1 -> 0 copies, 9520 left, still the tightest fit.
    doc = _doc(
        {"x1": _excl(30000), "x2": _excl(40000)},
        d.multi_allocate(d.entry("e1", disks=[10240], spindles=1), d.entry("e2", disks=[10240], spindles=1)),
    )
    assert d.run(doc)["result"] == [[["e1", ["x1"]], ["e2", ["x1"]]], []]
    doc["nodes"]["x1"]["free_disk"] = 20000  # e1 still goes to x1 but leaves 9760: too little for e2
    assert d.run(doc)["result"] == [[["e1", ["x1"]], ["e2", ["x2"]]], []]
