"""The `allocate` request on small hand-made clusters (ALGORITHM.md 3.6, 5.1, 5.2, 7.3).

Expected nodes and texts were checked against hail 3.0.2 on the same documents, except
where a test says iallocd differs on purpose."""

from __future__ import annotations

import pytest

from tests.support import docs as d

PREFIX = "Request successful: Selected group: default, Group default (preferred): "


def _two_groups(**group_args: d.Doc) -> dict[str, d.Doc]:
    return {
        "uuid-one": group_args.get("one", d.group("one")),
        "uuid-two": group_args.get("two", d.group("two")),
    }


def test_allocate_two_empty_nodes_hand_computed_score():
    # Identical empty nodes tie; the later one (n2) wins. After placing 1024 MiB, 1 vcpu,
    # 1024 MiB disk, spindle_use 1 on n2 (n1 stays empty):
    #   free_mem_cv   stddev(1, 15360/16384 = 0.9375)          = 0.03125   x0.5
    #   free_disk_cv  stddev(1, 98976/100000 = 0.98976)        = 0.00512   x0.5
    #   vcpu_ratio_cv stddev(0, 1/8)                           = 0.0625    x0.5
    #   cpu/mem/disk/net load: stddev(0, 1)                    = 0.5       x1 each
    #   spindles_cv   stddev(0, 1/(32*4))                      = 0.00390625 x0.5
    #   the four "forth" twins repeat mem, disk, vcpu and spindles  x0.5 each
    # = 2 * 0.5 * (0.03125 + 0.00512 + 0.0625 + 0.00390625) + 4 * 0.5 = 2.10277625
    doc = d.document({"n1": d.node(), "n2": d.node()})
    assert d.run(doc) == {
        "success": True,
        "info": PREFIX + "score: 2.10277625, successes 2, failures 0 () for node(s) n2",
        "result": ["n2"],
    }


def test_allocate_emptier_node_chosen_whatever_the_order():
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n2"]), "i2": d.instance(["n3"])},
    )
    assert d.run(doc)["result"] == ["n1"]


def test_allocate_single_node_score_reported_exactly():
    # regression: the reported score came from the incremental update, whose zero standard
    # deviations came out as ~1e-9 each (0.01955860 instead of hail's 0.01955857).
    # n2, n3 each run a 1024 MiB plain instance; their reported free memory (16384) and
    # free disk (100000) do not show it. After placing the same on n1, every node has
    # 1 instance, unallocated 15360 and 1 vcpu: those deviations are exactly 0. Left:
    #   free disk (0.98976, 1, 1) and forthcoming free memory (0.9375, 1, 1);
    #   stddev(a, b, b) = (b - a) * sqrt(2) / 3
    #   0.5 * 0.01024 * sqrt(2)/3 * 2 (free_disk_cv and its twin) + 0.5 * 0.0625 * sqrt(2)/3
    #   = 0.00482718 + 0.01473139 = 0.01955857
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n2"]), "i2": d.instance(["n3"])},
    )
    assert d.run(doc)["info"] == PREFIX + "score: 0.01955857, successes 3, failures 0 () for node(s) n1"


def test_allocate_drbd_pair_primary_then_secondary():
    # n1 holds a primary, n2 a secondary: the pair on the least loaded nodes wins and the
    # primary goes where no instance is primary yet
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n1", "n2"])},
        request=d.allocate(template="drbd"),
    )
    out = d.run(doc)
    assert out["result"] == ["n3", "n2"]
    assert out["info"].startswith(PREFIX) and out["info"].endswith(
        "successes 6, failures 0 () for node(s) n3/n2"
    )


@pytest.mark.parametrize("template", ["diskless", "sharedfile", "rbd", "ext", "file", "blockdev"])
def test_allocate_non_local_template_needs_no_free_disk(template):
    # only plain and drbd are charged against free disk
    doc = d.document(
        {"n1": d.node(free_disk=10), "n2": d.node(free_disk=10)},
        request=d.allocate(template=template, disks=[5000]),
    )
    assert d.run(doc, "--no-capacity-checks")["result"] == ["n2"]


def test_allocate_plain_short_of_disk_fails_disk():
    doc = d.document({"n1": d.node(free_disk=1024), "n2": d.node(free_disk=1024)})
    out = d.run(doc)
    assert out["success"] is False
    assert out["result"] == []
    assert out["info"] == (
        "Request failed: Group default (preferred): No valid allocation solutions, "
        "failure reasons: FailDisk: 2 [why: group default: 2 nodes tried; as primary, failed on "
        "2 disk, spindle ratio or disk template]"
    )


def test_allocate_failure_counts_per_constraint():
    doc = d.document(
        {
            "mem": d.node(free_memory=1000),
            "disk": d.node(free_disk=100),
            "cpu": d.node(cpus=1, reserved_cpus=4),
            "tags": d.node(),
        },
        {"t": d.instance(["tags"], tags=["svc:web"])},
        request=d.allocate(memory=2048, tags=["svc:web"]),
        cluster_tags=["htools:iextags:svc"],
    )
    out = d.run(doc)
    assert out["info"] == (
        "Request failed: Group default (preferred): No valid allocation solutions, failure reasons: "
        "FailMem: 1, FailDisk: 1, FailCPU: 1, FailTags: 1 [why: group default: 4 nodes tried; "
        "as primary, failed on 1 memory (incl. N+1 reservation), 1 disk, spindle ratio or "
        "disk template, 1 vcpu ratio or cpu spec, 1 exclusion tags]"
    )


def test_allocate_drbd_failures_counted_per_pair():
    # 3 primaries x 2 secondaries, every primary short of memory: hail counts 6 failures, the
    # explanation 3 nodes
    doc = d.document(
        {f"n{k}": d.node(free_memory=1000) for k in range(3)},
        request=d.allocate(memory=2048, template="drbd"),
    )
    out = d.run(doc)
    assert (
        "failure reasons: FailMem: 6 [why: group default: 3 nodes tried; as primary, failed on 3 memory"
        in (out["info"])
    )


def test_allocate_ignore_soft_errors_lifts_soft_checks_only():
    doc = d.document(
        {"cpu": d.node(cpus=1, reserved_cpus=4), "mem": d.node(free_memory=1000)},
        request=d.allocate(memory=2048),
    )
    assert d.run(doc)["success"] is False
    out = d.run(doc, "--ignore-soft-errors", "--no-capacity-checks")
    assert out["result"] == ["cpu"]
    assert out["info"].endswith("successes 1, failures 1 (FailMem: 1) for node(s) cpu")


def test_allocate_ipolicy_template_not_allowed_fails_disk():
    ipol = d.ipolicy(templates=["drbd"])
    doc = d.document({"n1": d.node(), "n2": d.node()}, groups={d.GROUP: d.group(ipol=ipol)})
    assert "failure reasons: FailDisk: 2" in d.run(doc)["info"]


def test_allocate_drained_and_offline_nodes_never_chosen():
    doc = d.document(
        {"full": d.node(), "drained": d.node(drained=True), "offline": d.node(offline=True)},
        {"i1": d.instance(["full"], memory=8192)},
    )
    out = d.run(doc, "--no-capacity-checks")
    assert out["result"] == ["full"]
    assert "successes 1, failures 0 ()" in out["info"]


@pytest.mark.parametrize(
    ("nodes", "template", "error"),
    [
        ({"n1": d.node(offline=True)}, "plain", "No online nodes"),
        ({"n1": d.node(), "n2": d.node(drained=True)}, "drbd", "Not enough online nodes"),
    ],
)
def test_allocate_no_online_nodes_failure_text(nodes, template, error):
    out = d.run(d.document(nodes, request=d.allocate(template=template)))
    assert out["success"] is False
    assert out["info"].startswith(f"Request failed: Group default: error {error}")


@pytest.mark.parametrize("required", [0, 3])
def test_allocate_unsupported_node_count_failure_text(required):
    doc = d.document({"n1": d.node(), "n2": d.node()}, request=d.allocate(required_nodes=required))
    out = d.run(doc)
    assert out["success"] is False
    assert out["info"].startswith(
        "Request failed: Group default: error Unsupported number of nodes, only one or two  supported"
    )


# --- restriction --------------------------------------------------------------------------
RESTRICT_NODES = {"n1": d.node(), "n2": d.node(), "n3": d.node()}


def test_allocate_restrict_to_nodes_only_listed_nodes():
    out = d.run(d.document(RESTRICT_NODES, request=d.allocate(restrict=["n1", "n2"])))
    assert out["result"] == ["n2"]
    assert "successes 2, failures 0" in out["info"]


def test_allocate_restrict_option_replaces_request_list():
    doc = d.document(RESTRICT_NODES, request=d.allocate(restrict=["n1", "n2"]))
    assert d.run(doc, "--restrict-allocation-to=n1,n3")["result"] == ["n3"]
    assert d.run(doc, "--restrict-allocation-to=n1")["result"] == ["n1"]


def test_allocate_restrict_to_unknown_node_no_online_nodes():
    out = d.run(d.document(RESTRICT_NODES, request=d.allocate(restrict=["nope"])))
    assert out["info"].startswith("Request failed: Group default: error No online nodes")


# --- groups -------------------------------------------------------------------------------
def _grouped(
    one: d.Doc | None = None, two: d.Doc | None = None, request: d.Doc | None = None, short: bool = False
) -> d.Doc:
    """a1, a2 in group one (busy; with `short`, 3000 MiB free each); b1, b2 in group two (empty)."""
    free = 3000 if short else None
    return d.document(
        {
            "a1": d.node(group="uuid-one", free_memory=free),
            "a2": d.node(group="uuid-one", free_memory=free),
            "b1": d.node(group="uuid-two"),
            "b2": d.node(group="uuid-two"),
        },
        {"i1": d.instance(["a2"]), "i2": d.instance(["a1"])},
        request=request,
        groups={"uuid-one": one or d.group("one"), "uuid-two": two or d.group("two")},
    )


def test_allocate_group_with_lowest_score_selected():
    out = d.run(_grouped())
    assert out["result"] == ["b2"]
    assert out["info"].startswith("Request successful: Selected group: two, Group one (preferred): score: ")
    assert ", Group two (preferred): score: " in out["info"]


def test_allocate_preferred_group_beats_better_last_resort_group():
    out = d.run(_grouped(two=d.group("two", "last_resort")))
    assert out["result"] == ["a2"]
    assert "Selected group: one, Group one (preferred): " in out["info"]
    assert ", Group two (last_resort): score: " in out["info"]


def test_allocate_last_resort_group_used_when_preferred_cannot_host():
    doc = _grouped(two=d.group("two", "last_resort"), request=d.allocate(memory=4096), short=True)
    out = d.run(doc)
    assert out["result"] == ["b2"]
    assert "Group one (preferred): No valid allocation solutions, failure reasons: FailMem: 2" in out["info"]


def test_allocate_unallocable_group_evaluated_never_selected():
    out = d.run(_grouped(two=d.group("two", "unallocable")))
    assert out["result"] == ["a2"]
    assert ", Group two (unallocable): score: " in out["info"]
    doc = _grouped(two=d.group("two", "unallocable"), request=d.allocate(memory=4096), short=True)
    out = d.run(doc)
    assert out["success"] is False
    assert out["info"].startswith(
        "Request failed: Group one (preferred): No valid allocation solutions, failure reasons: FailMem: 2, "
        "Group two (unallocable): score: "
    )
    assert out["info"].endswith(
        "[why: group one: 2 nodes tried; as primary, failed on 2 memory "
        "(incl. N+1 reservation); group two: unallocable]"
    )


@pytest.mark.parametrize("name", ["two", "uuid-two"])
def test_allocate_group_name_or_uuid_uses_that_group_only(name):
    out = d.run(_grouped(request=d.allocate(group_name=name)))
    assert out["result"] == ["b2"]
    # hail scores only the named group: two empty nodes, as in the hand-computed test above
    assert out["info"] == (
        "Request successful: Group two (preferred): score: 2.10277625, successes 2, failures 0 () "
        "for node(s) b2"
    )


def test_allocate_group_name_unallocable_group_still_usable():
    doc = _grouped(two=d.group("two", "unallocable"), request=d.allocate(group_name="two"))
    assert d.run(doc)["result"] == ["b2"]


def test_allocate_group_name_unknown_failure_text():
    out = d.run(_grouped(request=d.allocate(group_name="nope")))
    assert out == {
        "success": False,
        "info": "Request failed: Wrong number of elems found with name nope",
        "result": [],
    }


def test_allocate_group_name_no_solution_failure_text():
    small = d.group("two", ipol=d.ipolicy(templates=["drbd"]))
    out = d.run(_grouped(two=small, request=d.allocate(group_name="two")))
    assert out["info"].startswith(
        "Request failed: Group two (preferred): No valid allocation solutions, failure reasons: "
        "FailDisk: 2 [why: "
    )


# --- networks -----------------------------------------------------------------------------
def test_allocate_network_group_not_connected_skipped():
    one = d.group("one", networks=["net-a"])
    two = d.group("two", networks=["net-a", "net-b"])
    out = d.run(_grouped(one, two, d.allocate(networks=["net-b"])))
    assert out["result"] == ["b2"]
    assert out["info"].startswith(
        "Request successful: Selected group: two, group one is not connected to a network required "
        "by instance new, Group two (preferred): score: "
    )


def test_allocate_network_nic_without_network_imposes_nothing():
    out = d.run(_grouped(d.group("one", networks=["net-a"]), d.group("two")))
    assert out["result"] == ["b2"]


def test_allocate_network_no_group_connected_fails():
    out = d.run(_grouped(request=d.allocate(networks=["net-z"])))
    assert out["success"] is False
    assert out["info"].startswith(
        "Request failed: group one is not connected to a network required by instance new, "
        "group two is not connected to a network required by instance new"
    )


def test_allocate_network_named_group_not_connected_failure_text():
    out = d.run(_grouped(request=d.allocate(networks=["net-z"], group_name="one")))
    assert out["info"].startswith(
        "Request failed: The group one is not connected to a network required by instance new"
    )


# --- exclusion tags and N+1 -------------------------------------------------------------
def test_allocate_exclusion_tag_avoids_node_with_same_tag():
    doc = d.document(
        {"n1": d.node(), "n2": d.node()},
        {"a": d.instance(["n1"], tags=["svc:dns"]), "b": d.instance(["n2"], tags=["svc:dns"])},
        request=d.allocate(tags=["svc:dns"]),
        cluster_tags=["htools:iextags:svc"],
    )
    assert "FailTags: 2" in d.run(doc)["info"]
    doc["instances"]["b"]["tags"] = ["svc:web"]
    assert d.run(doc)["result"] == ["n2"]


def test_allocate_drbd_secondary_memory_checked_strictly():
    # 4500 MiB drbd: primary n2 (4000 free) is short of memory (hard); primary n1 leaves
    # 4500 there, but n2 as secondary must keep more than the 4500 MiB it backs up: soft,
    # yet secondaries are always checked strictly, even with --ignore-soft-errors
    doc = d.document(
        {"n1": d.node(free_memory=9000), "n2": d.node(free_memory=4000)},
        request=d.allocate(template="drbd", memory=4500),
    )
    for params in [(), ("--ignore-soft-errors",)]:
        out = d.run(doc, *params)
        assert out["success"] is False
        why = "[why: group default: 2 nodes tried; as primary, failed on 1 memory"
        assert f"failure reasons: FailMem: 2 {why}" in out["info"]
    doc["nodes"]["n2"]["free_memory"] = 4501
    assert d.run(doc)["result"] == ["n1", "n2"]


@pytest.mark.xfail(
    strict=True,
    reason="search_pairs runs the global N+1 check on the best pairs overall; hail runs it on "
    "the best pair of every primary (ALGORITHM.md 5.1), so hail also counts the rejected best "
    "pairs of primaries that do not win: the same nodes, other counts in `info`",
)
def test_allocate_drbd_global_check_per_primary_counts_like_hail():
    # a (8192 MiB free), b (12288, runs an 8192 MiB plain instance), c (12288, runs 4096)
    doc = d.document(
        {"a": d.node(free_memory=8192), "b": d.node(free_memory=12288), "c": d.node(free_memory=12288)},
        {"i0": d.instance(["c"], memory=4096), "i1": d.instance(["b"], memory=8192)},
        request=d.allocate(template="drbd", memory=4096),
    )
    assert (
        d.run(doc)["info"]
        == PREFIX + "score: 0.88078230, successes 4, failures 2 (FailN1: 2) for node(s) a/c"
    )


def test_allocate_drbd_explanation_separates_primaries_and_pairs():
    # n0 has disk for a copy, n1 and n2 do not: n1 and n2 fail as primary (counted once each,
    # hail counts each of their pairs), n0's two pairs fail on the secondary
    nodes = {"n0": d.node(free_disk=50000), "n1": d.node(free_disk=500), "n2": d.node(free_disk=500)}
    out = d.run(d.document(nodes, request=d.allocate(template="drbd", disks=(1000,))))
    assert out["success"] is False
    assert "failure reasons: FailDisk: 6 " in out["info"]
    assert out["info"].endswith(
        "[why: group default: 3 nodes tried; as primary, failed on 2 disk, spindle ratio or disk "
        "template; 2 pairs failed on the secondary (2 disk, spindle ratio or disk template)]"
    )
