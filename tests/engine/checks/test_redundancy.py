"""Global N+1 redundancy (ALGORITHM.md section 6): hand-made cases, and the vectorised
`redundant` against a plain reference implementation on seeded random clusters (issue 7)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.cluster.model import NO_NODE, Cluster
from app.engine.checks.policy import policy_failure
from app.engine.checks.redundancy import RedundancyCheck, redundant
from app.engine.moves.apply import failover, failover_to_any
from app.engine.nodeops import add_primary, place_instance, primary_effect
from app.engine.score.metrics import score_of
from tests.support import docs as d

MOVABLE = {"diskless", "sharedfile", "rbd", "ext", "gluster"}


# --- reference implementation -----------------------------------------------------------
def reference_redundant(c: Cluster, node_list: list[int]) -> bool:
    """GlobalN1.hs `redundant`, written plainly: every node of the list can fail."""
    return all(reference_can_evacuate(c, n, node_list) for n in node_list)


def _lowest(trials: list[tuple[float, Cluster]]) -> Cluster | None:
    """The state with the lowest score; on equal scores the later one (hail's `<=`)."""
    best: tuple[float, Cluster] | None = None
    for trial in trials:
        if best is None or trial[0] <= best[0]:
            best = trial
    return None if best is None else best[1]


def reference_can_evacuate(c: Cluster, n: int, node_list: list[int]) -> bool:
    """Fail `n` on a copy, one instance at a time, with the engine's move primitives:
    DRBD primaries fail over, shared-storage ones move to the node giving the lowest score
    of the group, the others are re-created (largest memory first) on the node giving the
    lowest score of the whole list. Every target is tried on its own copy and scored from
    scratch."""
    c = c.copy()
    specs = c.instances.specs
    mine = [i for i in reversed(range(len(specs))) if c.instances.pnode[i] == n]  # newest first
    for i in mine:
        if specs[i].template == "drbd" and failover(c, i, True) is not None:
            return False
    group = [m for m in node_list if c.nodes.group[m] == c.nodes.group[n]]
    escape = [m for m in group if m != n]
    for i in mine:
        if specs[i].template not in MOVABLE:
            continue
        trials = []
        for t in escape:
            trial = c.copy()
            if failover_to_any(trial, i, t, True) is None:
                trials.append((score_of(trial, np.array(group)), trial))
        best = _lowest(trials)
        if best is None:
            return False
        c = best
    rest = [i for i in mine if specs[i].template not in MOVABLE | {"drbd"}]
    for i in sorted(rest, key=lambda i: -specs[i].memory):
        trials = []
        for t in escape:
            spec = specs[i]
            if policy_failure(spec, c.groups[int(c.nodes.group[t])].ipolicy, bool(c.nodes.excl[t])):
                continue
            if primary_effect(c, np.array([t]), spec, True).fail[0]:
                continue
            trial = c.copy()
            add_primary(trial, t, spec, int(c.instances.loc_score[i]))
            trials.append((score_of(trial, np.array(node_list)), trial))
        best = _lowest(trials)
        if best is None:
            return False
        c = best
    return True


# --- hand-made clusters -----------------------------------------------------------------
def _three(free: tuple[int, int, int] = (16384, 16384, 16384), **instances: d.Doc) -> Cluster:
    nodes = {name: d.node(free_memory=f) for name, f in zip("abc", free, strict=True)}
    return d.cluster_of(d.document(nodes, instances))


def _both(c: Cluster) -> tuple[bool, bool]:
    everything = list(range(len(c.nodes)))
    return redundant(c, np.array(everything)), reference_redundant(c, everything)


def test_redundancy_redundant_cluster_passes():
    c = _three(
        i1=d.instance(["a", "b"], memory=4096),
        i2=d.instance(["b", "c"], memory=4096),
        i3=d.instance(["c", "a"], memory=4096),
        p=d.instance(["a"], memory=1024),
        s=d.instance(["b"], memory=2048, template="diskless", disks=()),
    )
    assert _both(c) == (True, True)


def test_redundancy_drbd_failover_target_short_of_memory_fails():
    # b has 8000 MiB unallocated; failing a moves i1 (8192 MiB) onto b: 8000 - 8192 <= 0
    c = _three((16384, 8000, 16384), i1=d.instance(["a", "b"], memory=8192))
    assert _both(c) == (False, False)


def test_redundancy_drbd_failovers_of_one_node_add_up():
    # a's two instances both fail over to b: 6000 + 6000 > 10000 (each alone would fit)
    c = _three(
        (16384, 10000, 16384),
        i1=d.instance(["a", "b"], memory=6000),
        i2=d.instance(["a", "b"], memory=6000),
    )
    assert _both(c) == (False, False)
    c = _three((16384, 10000, 16384), i1=d.instance(["a", "b"], memory=6000))
    assert _both(c) == (True, True)


def test_redundancy_stopped_drbd_instance_needs_no_memory():
    c = _three((16384, 8000, 16384), i1=d.instance(["a", "b"], memory=8192, admin_state="down"))
    assert _both(c) == (True, True)


@pytest.mark.parametrize(("spindles", "expected"), [(1, True), (None, False)])
def test_redundancy_drbd_failover_on_exclusive_storage_needs_known_spindles(spindles, expected):
    # with exclusive storage a failover needs the disks' spindles; without them it fails
    nodes = {name: d.node(exclusive=True) for name in "abc"}
    c = d.cluster_of(d.document(nodes, {"i1": d.instance(["a", "b"], memory=1024, spindles=spindles)}))
    assert _both(c) == (expected, expected)


def test_redundancy_plain_instance_not_recreatable_fails():
    # 12000 MiB plain on a: b and c have 8000 each
    c = _three((16384, 8000, 8000), p=d.instance(["a"], memory=12000))
    assert _both(c) == (False, False)
    c = _three((16384, 8000, 12001), p=d.instance(["a"], memory=12000))
    assert _both(c) == (True, True)


def test_redundancy_largest_instance_recreated_first():
    # p1 (8000) fits only b (11900); p2 (4000) then fits c (4100). Smallest first, p2
    # would take b (the emptier) and leave 7900 there: p1 would fit nowhere.
    c = _three((16384, 11900, 4100), p2=d.instance(["a"], memory=4000), p1=d.instance(["a"], memory=8000))
    assert _both(c) == (True, True)


def test_redundancy_plain_instance_needs_disk_on_target():
    doc = d.document(
        {"a": d.node(), "b": d.node(free_disk=5000), "c": d.node(free_disk=5000)},
        {"p": d.instance(["a"], disks=[5000])},
    )
    assert _both(d.cluster_of(doc)) == (False, False)


def test_redundancy_file_instance_recreated_without_disk():
    # file storage is not modelled: no disk needed, only memory
    doc = d.document(
        {"a": d.node(), "b": d.node(free_disk=10)},
        {"f": d.instance(["a"], template="file", disks=[5000])},
    )
    assert _both(d.cluster_of(doc)) == (True, True)


def test_redundancy_plain_instance_outside_ipolicy_fails():
    # the existing instance (4 vcpus) breaks the group's max of 2: it cannot be re-created
    ipol = d.ipolicy(minmax=[(d.ispec(), d.ispec(65536, 2, 65536, 4, 4))])
    doc = d.document(
        {"a": d.node(), "b": d.node()},
        {"p": d.instance(["a"], vcpus=4)},
        groups={d.GROUP: d.group(ipol=ipol)},
    )
    assert _both(d.cluster_of(doc)) == (False, False)


@pytest.mark.parametrize("template", ["diskless", "sharedfile", "rbd", "ext", "gluster"])
def test_redundancy_shared_storage_instance_moved(template):
    fits = _three((16384, 8000, 13000), s=d.instance(["a"], memory=12000, template=template))
    short = _three((16384, 8000, 8000), s=d.instance(["a"], memory=12000, template=template))
    assert (_both(fits), _both(short)) == ((True, True), (False, False))


def test_redundancy_shared_storage_moves_add_up_on_best_node():
    # both 7000 MiB diskless instances of a go somewhere; c (12000) can take one,
    # b (8000) the other: redundant. With b at 6000 only c can take one: not redundant.
    inst = {"s1": d.instance(["a"], memory=7000, template="diskless", disks=()),
            "s2": d.instance(["a"], memory=7000, template="diskless", disks=())}  # fmt: skip
    assert _both(_three((16384, 8000, 12000), **inst)) == (True, True)
    assert _both(_three((16384, 6000, 12000), **inst)) == (False, False)


def test_redundancy_migration_tags_forbid_failover():
    tags = ["htools:migration:hv"]
    doc = d.document(
        {"a": d.node(tags=["hv:kvm"]), "b": d.node(tags=["hv:xen"])},
        {"i": d.instance(["a", "b"])},
        cluster_tags=tags,
    )
    assert _both(d.cluster_of(doc)) == (False, False)
    doc["cluster_tags"] = tags + ["htools:allowmigration:hv:kvm::hv:xen"]
    assert _both(d.cluster_of(doc)) == (True, True)


def test_redundancy_drained_node_is_an_escape_target():
    # hail's quirk (ALGORITHM.md 9.4): drained nodes still receive instances in the simulation
    doc = d.document(
        {"a": d.node(), "b": d.node(drained=True)},
        {"p": d.instance(["a"], memory=8192)},
    )
    assert _both(d.cluster_of(doc)) == (True, True)


def test_redundancy_other_group_not_an_escape_target():
    groups = {"g1": d.group("one"), "g2": d.group("two")}
    doc = d.document(
        {"a": d.node(group="g1"), "b": d.node(group="g2")},
        {"p": d.instance(["a"], memory=8192)},
        groups=groups,
    )
    assert _both(d.cluster_of(doc)) == (False, False)


def _racks_doc(request: d.Doc | None = None) -> d.Doc:
    """a (rack:1) holds s (diskless, 4000 MiB, svc:a) and p (plain, 6000 MiB). If a fails,
    s must go to b (rack:1, 4500 free), leaving c (rack:2, 6500 free) for p. Moving s off a
    removes the only (rack:1, svc:a) pair, so s on b costs no exclusion point."""
    return d.document(
        {
            "a": d.node(tags=["rack:1"]),
            "b": d.node(memory=8192, free_memory=4500, tags=["rack:1"]),
            "c": d.node(memory=8192, free_memory=6500, cpus=2, tags=["rack:2"]),
        },
        {
            "s": d.instance(["a"], memory=4000, template="diskless", disks=(), tags=["svc:a"], vcpus=4),
            "p": d.instance(["a"], memory=6000),
        },
        request=request,
        cluster_tags=["htools:iextags:svc", "htools:nlocation:rack"],
    )


def test_redundancy_location_exclusion_pair_left_by_moved_instance():
    # regression: the move's score counted (rack:1, svc:a) as still held on a, so b looked
    # one point worse, s went to c and p fitted nowhere
    assert _both(d.cluster_of(_racks_doc())) == (True, True)


def test_redundancy_location_exclusion_allocation_same_as_hail():
    out = d.run(_racks_doc(d.allocate(memory=1, disks=[100], restrict=["a"])))
    assert out == {
        "success": True,
        "info": "Request successful: Selected group: default, Group default (preferred): "
        "score: 6.19337228, successes 1, failures 0 () for node(s) a",
        "result": ["a"],
    }


# --- through the allocator ----------------------------------------------------------------
def _unredundant_doc() -> d.Doc:
    # i1 (a -> b, 8192 MiB) cannot fail over: b has 8000 MiB. Nothing the new instance
    # does can fix that, so every candidate is dropped by the global check.
    return d.document(
        {"a": d.node(), "b": d.node(free_memory=8000), "c": d.node()},
        {"i1": d.instance(["a", "b"], memory=8192)},
        request=d.allocate(memory=512, template="diskless", disks=()),
    )


def test_redundancy_non_redundant_cluster_every_candidate_fails_n1():
    out = d.run(_unredundant_doc())
    assert out["success"] is False
    assert out["info"].startswith(
        "Request failed: Group default (preferred): No valid allocation solutions, failure reasons: FailN1: 3"
    )


def test_redundancy_no_capacity_checks_lifts_global_check():
    out = d.run(_unredundant_doc(), "--no-capacity-checks")
    assert out["success"] is True
    assert out["info"].endswith("successes 3, failures 0 () for node(s) c")


def test_redundancy_check_rejects_placement_that_breaks_redundancy():
    # b has 9000 MiB: alone it can take over i1 (8192). A new 1024 MiB primary on b leaves
    # 7976: not redundant any more; on c it is fine.
    doc = d.document(
        {"a": d.node(), "b": d.node(free_memory=9000), "c": d.node()},
        {"i1": d.instance(["a", "b"], memory=8192)},
    )
    c = d.cluster_of(doc)
    spec = d.new_spec(c, memory=1024, template="diskless", disks=())
    check = RedundancyCheck(c, d.idx(c))
    assert [check.redundant_with(spec, n) for n in range(3)] == [True, False, True]


# --- vectorised vs reference on random clusters -------------------------------------------
def random_cluster(rng: random.Random) -> d.Doc:
    """3-7 nodes in 1-2 groups, mixed templates, tags, a few drained/offline nodes, and
    instance sizes that make about half of the clusters redundant."""
    groups = {"g1": d.group("one"), "g2": d.group("two")}
    if rng.random() < 0.3:
        small = d.ipolicy(minmax=[(d.ispec(), d.ispec(6000, 4, 65536, 4, 8))])
        groups["g2"] = d.group("two", ipol=small)
    names = [f"n{k}" for k in range(rng.randint(3, 7))]
    where = {n: "g1" if k < 3 or rng.random() < 0.5 else "g2" for k, n in enumerate(names)}
    templates = ["drbd"] * 5 + ["plain"] * 2 + ["diskless", "file", "sharedfile", "blockdev", "rbd"]
    instances: dict[str, d.Doc] = {}
    used = {n: 0 for n in names}
    for k in range(rng.randint(1, 3 * len(names))):
        template = rng.choice(templates)
        primary = rng.choice(names)
        peers = [n for n in names if where[n] == where[primary] and n != primary]
        if template == "drbd" and not peers:
            template = "plain"
        where_ = [primary, rng.choice(peers)] if template == "drbd" else [primary]
        state = rng.choice(["up"] * 6 + ["down", "offline"])
        memory = rng.choice([512, 1024, 2048, 4096, 8192])
        tags = rng.sample(["svc:a", "svc:b", "other"], rng.randint(0, 2))
        instances[f"i{k}"] = d.instance(
            where_, memory=memory, template=template, tags=tags, admin_state=state,
            disks=() if template == "diskless" else [rng.choice([1024, 4096, 16384])],
        )  # fmt: skip
        used[primary] += memory if state == "up" else 0
    nodes: dict[str, d.Doc] = {}
    for n in names:
        memory = rng.choice([8192, 16384, 24576])
        flag = rng.random()
        nodes[n] = d.node(
            group=where[n],
            memory=memory,
            free_memory=max(0, memory - used[n] - rng.choice([0, 0, 512])),
            free_disk=rng.choice([2000, 40000, 100000]),
            drained=flag < 0.1,
            offline=0.1 <= flag < 0.15,
            tags=rng.sample(["rack:1", "rack:2", "hv:kvm"], rng.randint(0, 2)),
        )
    tags = ["htools:iextags:svc", "htools:nlocation:rack"]
    if rng.random() < 0.2:
        tags.append("htools:migration:hv")
    return d.document(nodes, instances, groups=groups, cluster_tags=tags)


SEEDS = range(400)


def test_redundancy_redundant_matches_reference_on_random_clusters():
    outcomes = []
    for seed in SEEDS:
        c = d.cluster_of(random_cluster(random.Random(seed)))
        everything = list(range(len(c.nodes)))
        lists = [everything] + [c.group_nodes(g).tolist() for g in range(len(c.groups))]
        for node_list in lists:
            expected = reference_redundant(c, node_list)
            assert redundant(c, np.array(node_list, dtype=np.int64)) == expected, (seed, node_list)
            outcomes.append(expected)
    # the comparison means something only if both answers occur often
    assert 0.25 < sum(outcomes) / len(outcomes) < 0.75


def test_redundancy_check_with_placement_matches_reference_on_random_clusters():
    checked = 0
    for seed in SEEDS[:150]:
        rng = random.Random(seed)
        c = d.cluster_of(random_cluster(rng))
        everything = np.arange(len(c.nodes))
        check = RedundancyCheck(c, everything)
        template = rng.choice(["drbd", "plain", "diskless"])
        spec = d.new_spec(c, memory=rng.choice([512, 4096]), template=template)
        online = [int(n) for n in everything if not c.nodes.offline[n]]
        for p in online:
            mates = [s for s in online if s != p and c.nodes.group[s] == c.nodes.group[p]]
            s = rng.choice(mates) if template == "drbd" and mates else NO_NODE
            if template == "drbd" and s == NO_NODE:
                continue
            placed = c.copy()
            place_instance(placed, spec, p, s)
            expected = reference_redundant(placed, everything.tolist())
            assert check.redundant_with(spec, p, s) == expected, (seed, p, s)
            checked += 1
    assert checked > 300


def test_redundancy_shared_move_target_matches_reference_on_ties():
    """An ulp-level tie (seed 1017, node n1: n4 and n5 both 6.873735059165...): hail
    recomputes each candidate's group score (Evacuate.hs compCVNodes) and picks n4; the
    engine's target search refolds near-ties exactly, so it picks n4 too."""
    from app.engine.moves.targets import failover_to_any as search_targets

    for seed in (1017,):
        c = d.cluster_of(random_cluster(random.Random(seed)))
        for n in range(len(c.nodes)):
            moved = c.copy()
            specs = moved.instances.specs
            mine = [i for i in reversed(range(len(specs))) if moved.instances.pnode[i] == n]
            if any(specs[i].template == "drbd" and failover(moved, i, True) for i in mine):
                continue
            group = np.flatnonzero(moved.nodes.group == moved.nodes.group[n])
            escape = group[group != n]
            for i in [i for i in mine if specs[i].template in MOVABLE]:
                trials = []
                for t in escape:
                    trial = moved.copy()
                    if failover_to_any(trial, i, int(t), True) is None:
                        trials.append((score_of(trial, group), int(t)))
                best = min(trials, key=lambda x: (x[0], -x[1]), default=(0.0, None))[1]
                assert search_targets(moved, i, escape, group, True).best() == best, (seed, n, i)
                if best is None:
                    break
                failover_to_any(moved, i, best, True)
