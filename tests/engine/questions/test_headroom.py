"""How many more instances fit (app/engine/headroom.py): hand-computed small clusters, the
caps, per-group counts, and agreement with allocating the same shape again and again."""

from __future__ import annotations

import pytest

from app.cluster import build_cluster
from app.engine import Headroom, headroom, options_from_params, probe_request
from app.engine.questions.headroom import MAX, TIME, disk_space
from app.protocol import Disk, parse_document, parse_params
from app.protocol.request import DiskTemplate
from tests.support import docs as d, gen
from tests.support.replay import allocate_until_full

GIB = 1024
THREE_NODES = d.document({f"n{i}": d.node(memory=10 * GIB) for i in range(1, 4)})


def _headroom(
    doc: d.Doc,
    *params: str,
    memory: int = 4 * GIB,
    template: DiskTemplate = "plain",
    limit: int = 1000,
    budget: float = 60.0,
) -> Headroom:
    opts, _ = options_from_params(parse_params(params))
    req = probe_request(memory, 1, template, [Disk(size=1024)])
    c = build_cluster(parse_document(d.encode(doc)), opts.static_kvm_node_memory)
    return headroom(c, req, opts, limit, budget)


def test_disk_space_as_ganeti_computes_it():
    assert disk_space("drbd", [1024, 2048]) == 1024 + 2048 + 2 * 128
    assert disk_space("plain", [1024, 2048]) == 3072
    assert disk_space("diskless", [1024]) == disk_space("blockdev", [1024]) == 0


def test_probe_request_drbd_two_nodes_given_total_kept():
    req = probe_request(512, 2, "drbd", [Disk(size=1000)])
    assert (req.required_nodes, req.disk_space_total) == (2, 1128)
    req = probe_request(512, 2, "plain", [Disk(size=1000)], disk_space_total=7)
    assert (req.required_nodes, req.disk_space_total) == (1, 7)


def test_headroom_plain_three_nodes_memory_runs_out_after_six():
    # 10 GiB free per node, 4 GiB each: two per node, the third does not fit anywhere
    h = _headroom(THREE_NODES, "--no-capacity-checks")
    assert (h.count, h.capped_by) == (6, None)
    assert h.stop is not None and (h.stop.code, h.stop.counts) == ("FailMem", {"FailMem": 3})
    assert h.stop.reason == "memory (incl. N+1 reservation)"
    assert [(g.group, g.count, g.stop) for g in h.groups] == [("default", 6, h.stop)]
    assert h.info.startswith("Request failed: Group default (preferred): No valid allocation solutions")
    assert h.score_after != h.score_before


def test_headroom_plain_global_n1_stops_after_four():
    # with the global N+1 check every node's instances must fit elsewhere if it fails:
    # (2, 1, 1) still works (the two go to the two 6 GiB nodes); a fifth instance would
    # leave a node with two and nowhere for the second of them: the 2-instance node fails
    # on memory, the two others on global N+1
    h = _headroom(THREE_NODES)
    assert h.count == 4
    assert h.stop is not None
    assert (h.stop.code, h.stop.counts) == ("FailN1", {"FailMem": 1, "FailN1": 2})
    assert h.stop.reason == "global N+1 redundancy"


def test_headroom_max_reached_capped():
    h = _headroom(THREE_NODES, "--no-capacity-checks", limit=2)
    assert (h.count, h.capped_by, h.stop, h.info) == (2, MAX, None, "")
    assert [g.stop for g in h.groups] == [None]


@pytest.mark.parametrize("params", [(), ("--no-capacity-checks",)])
def test_headroom_no_time_left_capped_by_time(params):
    h = _headroom(THREE_NODES, *params, budget=0.0)
    assert (h.count, h.capped_by, h.stop) == (0, TIME, None)


def test_headroom_nothing_fits_count_zero_with_reason():
    h = _headroom(THREE_NODES, memory=20 * GIB)
    assert (h.count, h.capped_by) == (0, None)
    assert h.stop is not None and h.stop.counts == {"FailMem": 3}


def test_headroom_per_group_preferred_filled_first_unallocable_never():
    groups = {
        "uuid-a": d.group("a", policy="unallocable"),
        "uuid-b": d.group("b", policy="last_resort"),
        "uuid-c": d.group("c"),
    }
    nodes = {f"{g}{i}": d.node(group=f"uuid-{g}", memory=10 * GIB) for g in "abc" for i in (1, 2)}
    nodes["c3"] = d.node(group="uuid-c", offline=True)
    h = _headroom(d.document(nodes, groups=groups), "--no-capacity-checks")
    counts = {g.group: g.count for g in h.groups}
    assert counts == {"a": 0, "b": 4, "c": 4}
    stops = {g.group: g.stop for g in h.groups}
    assert stops["a"] is not None and stops["a"].reason == "alloc_policy unallocable: never chosen"
    assert stops["b"] is not None and stops["b"].counts == {"FailMem": 2}
    # the unallocable group's room does not count in the overall reason
    assert h.stop is not None and h.stop.counts == {"FailMem": 4}


def test_headroom_restricted_group_has_no_candidates():
    groups = {"uuid-a": d.group("a"), "uuid-b": d.group("b")}
    nodes = {"a1": d.node(group="uuid-a"), "b1": d.node(group="uuid-b")}
    h = _headroom(d.document(nodes, groups=groups), "--no-capacity-checks", "--restrict-allocation-to=a1")
    by_group = {g.group: g for g in h.groups}
    assert by_group["a"].count == h.count == 3  # 16 GiB: the fourth would leave 0
    assert by_group["b"].stop is not None and by_group["b"].stop.code is None
    assert "no candidate nodes" in by_group["b"].stop.reason


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("template", ["plain", "drbd"])
@pytest.mark.parametrize("params", [(), ("--no-capacity-checks",)])
def test_headroom_same_as_repeated_allocate(seed, template, params):
    spec = gen.ClusterSpec(nodes=6, groups=2, templates=gen.mixed(), fill=0.6)
    doc = gen.generate(spec, seed) | {"request": d.allocate()}
    memory = 16 * GIB  # a few dozen fit
    req = d.allocate(memory=memory, template=template, disks=(1024,))
    placements, failed = allocate_until_full(doc, req, lambda doc: d.run(doc, *params))
    primaries = [nodes[0] for nodes in placements]
    h = _headroom(doc, *params, memory=memory, template=template)
    assert primaries
    assert (h.count, h.info) == (len(primaries), failed["info"])
    group_of = {n: doc["nodegroups"][doc["nodes"][n]["group"]]["name"] for n in doc["nodes"]}
    assert {g.group: g.count for g in h.groups if g.count} == {
        name: sum(group_of[p] == name for p in primaries) for name in set(map(group_of.get, primaries))
    }
