"""The `node-evacuate` request on small hand-made clusters, per evac_mode and template
(ALGORITHM.md 5.4). Every expected answer was checked against hail 3.0.2 on the same
document, except where a test says iallocd does more than hail on purpose. Every answer
also passes the validity check, Ganeti's REQ_RESULT and Ganeti's opcode validation."""

from __future__ import annotations

from app.engine.moves.opcodes import migrate, replace_secondary
from tests.support import docs as d
from tests.support.answers import checked_run

FOUR = {f"n{k}": d.node() for k in range(1, 5)}


def evacuate(instances: list[str], mode: str) -> d.Doc:
    return {"type": "node-evacuate", "instances": instances, "evac_mode": mode}


def answer(moved: list[list[object]], failed: list[list[str]], jobs: list[list[d.Doc]]) -> d.Doc:
    info = (
        f"Request successful: {len(failed)} instances failed to move and {len(moved)} were moved successfully"
    )
    return {"success": True, "info": info, "result": [moved, failed, jobs]}


def all_moves(name: str, primary: str, secondary: str) -> list[d.Doc]:
    """A DRBD instance to a new pair: replace-disks, migrate, replace-disks."""
    return [replace_secondary(name, primary), migrate(name), replace_secondary(name, secondary)]


# --- DRBD -------------------------------------------------------------------------------
DRBD = {"i1": d.instance(["n1", "n2"]), "x": d.instance(["n4", "n1"])}


def test_node_evacuate_drbd_primary_only_fails_over_to_the_secondary():
    doc = d.document(FOUR, DRBD, evacuate(["i1"], "primary-only"))
    assert checked_run(doc) == answer([["i1", "default", ["n2", "n1"]]], [], [[migrate("i1")]])


def test_node_evacuate_drbd_primary_only_secondary_short_of_memory_fails_with_the_code():
    nodes = FOUR | {"n2": d.node(free_memory=1000)}
    doc = d.document(nodes, {"i1": d.instance(["n1", "n2"], memory=2048)}, evacuate(["i1"], "primary-only"))
    assert checked_run(doc) == answer([], [["i1", "FailMem"]], [])


def test_node_evacuate_drbd_secondary_only_picks_the_emptiest_node():
    # n4 holds x's primary, n3 nothing: the new secondary goes to n3
    doc = d.document(FOUR, DRBD, evacuate(["i1"], "secondary-only"))
    assert checked_run(doc) == answer(
        [["i1", "default", ["n1", "n3"]]], [], [[replace_secondary("i1", "n3")]]
    )


def test_node_evacuate_drbd_secondary_only_lists_the_nodes_tried_before_the_first_fit():
    nodes = FOUR | {"n3": d.node(free_disk=1000)}
    doc = d.document(
        nodes, {"i1": d.instance(["n1", "n2"], disks=[2048])}, evacuate(["i1"], "secondary-only")
    )
    assert checked_run(doc) == answer(
        [["i1", "default", ["n1", "n4"]]], [], [[replace_secondary("i1", "n4")]]
    )


def test_node_evacuate_drbd_secondary_only_nothing_fits_every_node_failure_listed():
    nodes = FOUR | {"n3": d.node(free_disk=1000), "n4": d.node(free_disk=500)}
    doc = d.document(
        nodes, {"i1": d.instance(["n1", "n2"], disks=[2048])}, evacuate(["i1"], "secondary-only")
    )
    why = "Can't find any good node:  Node n3 failed: FailDisk; Node n4 failed: FailDisk;"
    assert checked_run(doc) == answer([], [["i1", why]], [])


def test_node_evacuate_drbd_all_moves_to_the_best_pair():
    doc = d.document(FOUR, DRBD, evacuate(["i1"], "all"))
    assert checked_run(doc) == answer([["i1", "default", ["n3", "n4"]]], [], [all_moves("i1", "n3", "n4")])


def test_node_evacuate_drbd_all_offline_primary_fails_over_first():
    nodes = FOUR | {"n1": d.node(offline=True)}
    doc = d.document(nodes, {"i1": d.instance(["n1", "n2"])}, evacuate(["i1"], "all"))
    jobs = [[migrate("i1"), *all_moves("i1", "n4", "n3")]]
    assert checked_run(doc) == answer([["i1", "default", ["n4", "n3"]]], [], jobs)


def test_node_evacuate_drbd_all_one_node_left_no_nodes_available():
    nodes = {f"n{k}": d.node() for k in range(1, 4)}
    doc = d.document(nodes, {"i1": d.instance(["n1", "n2"])}, evacuate(["i1"], "all"))
    why = "Can't find any good nodes for relocation: no nodes available"
    assert checked_run(doc) == answer([], [["i1", why]], [])


def test_node_evacuate_drbd_all_failure_is_the_last_pairs_step():
    # pairs (n3, n4) then (n4, n3): the last one fails when n4 must take the secondary
    prefix = "Can't find any good nodes for relocation: Allocation failed: "
    no_disk_n4 = FOUR | {"n4": d.node(free_disk=1000)}
    no_disk_n3 = FOUR | {"n3": d.node(free_disk=1000)}
    one_cpu = FOUR | {"n3": d.node(cpus=1), "n4": d.node(cpus=1)}
    offline = FOUR | {"n1": d.node(offline=True), "n2": d.node(free_memory=1000)}
    cases = [
        (no_disk_n4, d.instance(["n1", "n2"], disks=[2048]), "Changing secondary to new primary: FailDisk"),
        (
            no_disk_n3,
            d.instance(["n1", "n2"], disks=[2048]),
            "Changing secondary to final secondary: FailDisk",
        ),
        (one_cpu, d.instance(["n1", "n2"], vcpus=5), "Failing over to new primary: FailCPU"),
        (offline, d.instance(["n1", "n2"], memory=2048), "Failing over to the secondary: FailMem"),
    ]
    for nodes, inst, step in cases:
        doc = d.document(nodes, {"i1": inst}, evacuate(["i1"], "all"))
        assert checked_run(doc) == answer([], [["i1", prefix + step]], []), step


def test_node_evacuate_ignore_soft_errors_lifts_the_vcpu_ratio():
    nodes = FOUR | {"n3": d.node(cpus=1), "n4": d.node(cpus=1)}
    doc = d.document(nodes, {"i1": d.instance(["n1", "n2"], vcpus=5)}, evacuate(["i1"], "all"))
    assert checked_run(doc)["result"][0] == []
    expected = answer([["i1", "default", ["n4", "n3"]]], [], [all_moves("i1", "n4", "n3")])
    assert checked_run(doc, "--ignore-soft-errors") == expected


# --- shared storage, plain, file ----------------------------------------------------------
SHARED = {"s": d.instance(["n1"], template="rbd"), "x": d.instance(["n2"], template="rbd")}
THREE = {f"n{k}": d.node() for k in range(1, 4)}


def test_node_evacuate_shared_primary_only_and_all_fail_over_to_any_node():
    for mode in ("primary-only", "all"):
        doc = d.document(THREE, SHARED, evacuate(["s"], mode))
        assert checked_run(doc) == answer([["s", "default", ["n3"]]], [], [[migrate("s", "n3")]]), mode


def test_node_evacuate_shared_secondary_only_refused():
    doc = d.document(THREE, SHARED, evacuate(["s"], "secondary-only"))
    why = "Instances with disk template 'rbd' can't execute change secondary"
    assert checked_run(doc) == answer([], [["s", why]], [])


def test_node_evacuate_plain_and_file_refused_in_every_mode():
    insts = {"p": d.instance(["n1"], template="plain"), "f": d.instance(["n1"], template="file")}
    for mode in ("primary-only", "secondary-only", "all"):
        doc = d.document(THREE, insts, evacuate(["p", "f"], mode))
        failed = [
            ["p", "Instances of type plain cannot be relocated"],
            ["f", "Instances of type file cannot be relocated"],
        ]
        assert checked_run(doc) == answer([], failed, []), mode


# --- the state carried from one instance to the next --------------------------------------
def test_node_evacuate_each_move_sees_the_ones_before():
    # n2 and n3 have room for one 6000 MiB instance each: a takes the better, b the other
    nodes = {"n1": d.node(free_memory=4384), "n2": d.node(free_memory=8000), "n3": d.node(free_memory=7000)}
    insts = {
        "a": d.instance(["n1"], memory=6000, template="ext"),
        "b": d.instance(["n1"], memory=6000, template="ext"),
    }
    doc = d.document(nodes, insts, evacuate(["a", "b"], "primary-only"))
    moved = [["a", "default", ["n2"]], ["b", "default", ["n3"]]]
    assert checked_run(doc) == answer(moved, [], [[migrate("a", "n2")], [migrate("b", "n3")]])


def test_node_evacuate_evacuated_secondaries_never_receive_an_instance():
    # n4 holds only i2's secondary: the best new secondary for i1, unless i2's secondary is
    # being evacuated in the same request; then i1 goes to n5 (and i2 to n1)
    nodes = {f"n{k}": d.node() for k in range(1, 6)}
    insts = {
        "i1": d.instance(["n1", "n2"]),
        "i2": d.instance(["n5", "n4"]),
        "y": d.instance(["n3"]),
        "y2": d.instance(["n3"]),
        "z": d.instance(["n5"]),
    }
    alone = checked_run(d.document(nodes, insts, evacuate(["i1"], "secondary-only")))
    assert alone["result"][0] == [["i1", "default", ["n1", "n4"]]]
    both = checked_run(d.document(nodes, insts, evacuate(["i1", "i2"], "secondary-only")))
    assert both["result"][0] == [["i1", "default", ["n1", "n5"]], ["i2", "default", ["n5", "n1"]]]


# --- beyond hail -----------------------------------------------------------------------
def test_node_evacuate_failed_instance_retried_after_the_others_moved():
    # b's failover leaves its secondary on n1, whose reservation for n3 (c's 6000 + b's
    # 6000) exceeds n1's free memory while a still runs there: hail fails b. Once a has
    # failed over to n2, b fits; its job waits for a's. (In order [a, b] hail moves both.)
    nodes = {"n1": d.node(free_memory=4384), "n2": d.node(), "n3": d.node(free_memory=10384)}
    insts = {
        "a": d.instance(["n1", "n2"], memory=6000),
        "b": d.instance(["n1", "n3"], memory=6000),
        "c": d.instance(["n3", "n1"], memory=6000),
    }
    doc = d.document(nodes, insts, evacuate(["b", "a"], "primary-only"))
    waiting = migrate("b") | {"depends": [[-1, ["success"]]]}
    expected = answer(
        [["a", "default", ["n2", "n1"]], ["b", "default", ["n3", "n1"]]], [], [[migrate("a")], [waiting]]
    )
    expected["info"] += "; moved only after the other moves, retried by iallocd (jobs wait for them): b"
    assert checked_run(doc) == expected


def test_node_evacuate_biggest_first_when_request_order_leaves_one_behind():
    # request order: small takes n2 (best score), then big fits nowhere (hail: 1 moved).
    # Biggest first: big on n2, small on n3.
    nodes = {"n1": d.node(free_memory=5120), "n2": d.node(free_memory=10752), "n3": d.node(free_memory=2048)}
    insts = {
        "small": d.instance(["n1"], memory=1024, template="rbd"),
        "big": d.instance(["n1"], memory=10240, template="rbd"),
    }
    doc = d.document(nodes, insts, evacuate(["small", "big"], "primary-only"))
    moved = [["big", "default", ["n2"]], ["small", "default", ["n3"]]]
    expected = answer(moved, [], [[migrate("big", "n2")], [migrate("small", "n3")]])
    expected["info"] += "; iallocd moved the instances biggest first, as request order moved fewer"
    assert checked_run(doc) == expected


def test_node_evacuate_refusals_by_template_are_not_retried():
    nodes = THREE | {"n2": d.node(free_memory=100)}
    insts = {"p": d.instance(["n1"], template="plain"), "s": d.instance(["n1"], memory=2048, template="rbd")}
    doc = d.document(nodes, insts, evacuate(["p", "s"], "primary-only"))
    response = checked_run(doc)
    assert response["info"].endswith("1 instances failed to move and 1 were moved successfully")
    assert response["result"][1] == [["p", "Instances of type plain cannot be relocated"]]
