"""Derived node and instance figures, as hail derives them at load time (ALGORITHM.md 1.3-1.6, 7.2)."""

from __future__ import annotations

import pytest

from app.cluster.model import NO_NODE, RUNNING
from app.engine.hshow import show_group
from tests.support import docs as d


def test_build_memory_reported_below_recorded_unallocated_is_reported():
    # iMem = 2048 (running primary); xMem = (16384 - 1024 - 2048) - 10000 = 3312;
    # unallocated = 16384 - 1024 - 2048 - 3312 = 10000 = min(13312, 10000)
    doc = d.document(
        {"n1": d.node(reserved_memory=1024, free_memory=10000)},
        {"i1": d.instance(["n1"], memory=2048)},
    )
    n = d.cluster_of(doc).nodes
    assert (n.i_mem[0], n.x_mem[0], n.unalloc_mem()[0]) == (2048, 3312, 10000)


def test_build_memory_reported_above_recorded_missing_memory_ignored():
    # xMem = (16384 - 1024 - 2048) - 14000 = -688 < 0, so unallocated = 16384 - 1024 - 2048 = 13312
    doc = d.document(
        {"n1": d.node(reserved_memory=1024, free_memory=14000)},
        {"i1": d.instance(["n1"], memory=2048)},
    )
    n = d.cluster_of(doc).nodes
    assert (n.x_mem[0], n.unalloc_mem()[0]) == (-688, 13312)


def test_build_fractional_total_memory_truncated():
    # trunc(16384.9) - 0 - 0 = 16384; free memory reported as 16400 does not raise it
    doc = d.document({"n1": d.node(memory=16384.9, free_memory=16400)})
    n = d.cluster_of(doc).nodes
    assert n.unalloc_mem()[0] == 16384
    assert n.t_mem[0] == 16384.9


def test_build_unallocated_memory_frozen_missing_memory():
    # xMem is computed once at load: adding 1000 MiB of instance memory later lowers the
    # unallocated memory by exactly 1000 (10000 -> 9000).
    doc = d.document(
        {"n1": d.node(reserved_memory=1024, free_memory=10000)},
        {"i1": d.instance(["n1"], memory=2048)},
    )
    n = d.cluster_of(doc).nodes
    n.i_mem[0] += 1000
    assert (n.x_mem[0], n.unalloc_mem()[0]) == (3312, 9000)


@pytest.mark.parametrize(
    ("hypervisors", "static", "expected"),
    [
        (["kvm"], 4096, 4096),  # hail's default --static-kvm-node-memory
        (["kvm"], 2048, 2048),
        (["kvm"], 0, 1024),  # 0 keeps the reported reserved_memory
        (["xen-pvm", "kvm"], 4096, 1024),  # only the first hypervisor counts
        (["xen-hvm"], 4096, 1024),
    ],
)
def test_build_kvm_static_node_memory_overrides_reserved(hypervisors, static, expected):
    doc = d.document({"n1": d.node(reserved_memory=1024, free_memory=8000)})
    doc["enabled_hypervisors"] = hypervisors
    n = d.cluster_of(doc, static_kvm_node_memory=static).nodes
    assert n.n_mem[0] == expected
    # with nothing running, unallocated = min(16384 - nMem, 8000)
    assert n.unalloc_mem()[0] == min(16384 - expected, 8000)


def test_build_kvm_static_node_memory_parameter_reaches_engine():
    # 1 node of 8192 MiB, reserved 1024, free 7000; a 3500 MiB instance:
    # default 4096 reserved -> unallocated min(8192 - 4096, 7000) = 4096 -> fits (596 left);
    # reserved 5000 -> min(3192, 7000) = 3192 -> FailMem. (One node: no global N+1 check.)
    doc = d.document(
        {"n1": d.node(memory=8192, reserved_memory=1024, free_memory=7000)},
        request=d.allocate(memory=3500),
        hypervisor="kvm",
    )
    assert d.run(doc, "--no-capacity-checks")["result"] == ["n1"]
    assert d.run(doc, "--no-capacity-checks", "--static-kvm-node-memory=0")["result"] == ["n1"]
    out = d.run(doc, "--no-capacity-checks", "--static-kvm-node-memory=5000")
    assert out["success"] is False
    assert "FailMem: 1" in out["info"]


def test_build_peers_reserved_memory_is_worst_peer():
    # n3 is secondary for i1 (n1, 1024) and i2 (n1, 512): peers[n1] = 1536;
    # and for i3 (n2, 2048): peers[n2] = 2048. rMem = max = 2048.
    # i4 (n2, admin offline) reserves nothing; i5 (n2, admin down) does: peers[n2] = 2048 + 256.
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {
            "i1": d.instance(["n1", "n3"], memory=1024),
            "i2": d.instance(["n1", "n3"], memory=512),
            "i3": d.instance(["n2", "n3"], memory=2048),
            "i4": d.instance(["n2", "n3"], memory=4096, admin_state="offline"),
            "i5": d.instance(["n2", "n3"], memory=256, admin_state="down"),
        },
    )
    n = d.cluster_of(doc).nodes
    assert n.peers[2] == {0: 1536, 1: 2304}
    assert n.r_mem.tolist() == [0, 0, 2304]
    assert (n.p_cnt.tolist(), n.s_cnt.tolist()) == ([2, 3, 0], [0, 0, 5])


@pytest.mark.parametrize(
    ("free_memory", "failing"),
    [
        (2047, True),  # 2047 < 2048
        (2048, False),  # hail 3.0.x: free_memory < rMem (3.1 would say unallocated <= rMem)
        (4000, False),
    ],
)
def test_build_initial_n1_flag_compares_reported_free_memory(free_memory, failing):
    doc = d.document(
        {"n1": d.node(), "n2": d.node(free_memory=free_memory)},
        {"i1": d.instance(["n1", "n2"], memory=2048)},
    )
    n = d.cluster_of(doc).nodes
    assert n.r_mem[1] == 2048
    assert bool(n.fail_n1[1]) is failing
    assert not n.fail_n1[0]  # n1 reserves nothing: 0 < 0 is false


def test_build_spindles_without_exclusive_storage_count_local_instances():
    # spindle_count 3, group spindle-ratio 2.0: hiSpindles = 6.
    # n1 holds: plain primary (2) + drbd primary (1) + drbd secondary (4) = 7;
    # the diskless and sharedfile primaries do not count.
    doc = d.document(
        {"n1": d.node(spindles=3), "n2": d.node(spindles=3)},
        {
            "plain": d.instance(["n1"], spindle_use=2),
            "drbd1": d.instance(["n1", "n2"], spindle_use=1),
            "drbd2": d.instance(["n2", "n1"], spindle_use=4),
            "diskless": d.instance(["n1"], template="diskless", spindle_use=8),
            "shared": d.instance(["n1"], template="sharedfile", spindle_use=16),
        },
        groups={d.GROUP: d.group(ipol=d.ipolicy(spindle_ratio=2.0))},
    )
    n = d.cluster_of(doc).nodes
    assert n.i_sp.tolist() == [7.0, 5.0]
    assert n.t_sp.tolist() == [3, 3]
    assert n.hi_sp.tolist() == [6.0, 6.0]


def test_build_spindles_with_exclusive_storage_use_total_spindles():
    # exclusive storage: tSpindles = total_spindles (12), instSpindles stays 0,
    # free_spindles as reported (the existing instance does not reduce it at load)
    n1 = d.node(exclusive=True, spindles=12, free_spindles=10)
    n1["ndparams"]["spindle_count"] = 1
    doc = d.document({"n1": n1}, {"i1": d.instance(["n1"], spindles=2, spindle_use=5)})
    n = d.cluster_of(doc).nodes
    assert (n.t_sp[0], n.f_sp[0], n.i_sp[0], bool(n.excl[0])) == (12, 10, 0.0, True)


@pytest.mark.parametrize(
    ("flags", "offline"),
    [
        ({}, False),
        ({"offline": True}, True),
        ({"drained": True}, True),
        ({"vm_capable": False}, True),
    ],
)
def test_build_node_flags_htools_offline(flags, offline):
    doc = d.document({"n1": d.node(**flags), "n2": d.node()})
    assert d.cluster_of(doc).nodes.offline.tolist() == [offline, False]


def test_build_non_live_node_without_runtime_data_loads():
    bare = {
        "offline": True,
        "drained": False,
        "group": d.GROUP,
        "ndparams": {"exclusive_storage": False, "spindle_count": 1},
    }
    doc = d.document({"n1": bare, "n2": d.node()})
    n = d.cluster_of(doc).nodes
    assert n.offline.tolist() == [True, False]
    assert (n.t_mem[0], n.f_dsk[0]) == (0.0, 0)


def test_build_stopped_instances_only_in_forthcoming_memory():
    # free 10000; a down (1024) and an offline (512) primary use no memory: iMem = 2048
    # (the running one); fMemForth = 10000 - 1024 - 512 = 8464.
    # vcpus: reserved 1 + running 2 + down 4 = 7 (the offline instance's 8 are not counted)
    doc = d.document(
        {"n1": d.node(free_memory=10000, reserved_cpus=1)},
        {
            "up": d.instance(["n1"], memory=2048, vcpus=2),
            "down": d.instance(["n1"], memory=1024, vcpus=4, admin_state="down"),
            "off": d.instance(["n1"], memory=512, vcpus=8, admin_state="offline"),
        },
    )
    n = d.cluster_of(doc).nodes
    assert (n.i_mem[0], n.f_mem_forth[0], n.u_cpu[0]) == (2048, 8464, 7)
    assert n.unalloc_mem()[0] == 10000


def test_build_existing_instances_do_not_reduce_free_disk():
    doc = d.document(
        {"n1": d.node(free_disk=50000), "n2": d.node(free_disk=60000)},
        {"i1": d.instance(["n1", "n2"], disks=[10000])},
    )
    assert d.cluster_of(doc).nodes.f_dsk.tolist() == [50000, 60000]


def test_build_missing_admin_state_means_running():
    doc = d.document({"n1": d.node()}, {"i1": d.instance(["n1"], memory=2048)})
    del doc["instances"]["i1"]["admin_state"]
    assert d.cluster_of(doc).nodes.i_mem[0] == 2048


@pytest.mark.parametrize("state", ["unknown", 5, None, [], {}])
def test_build_unknown_admin_state_means_running(state):
    # hail reads anything but up, down and offline as up; a list or an object once crashed the build
    doc = d.document({"n1": d.node()}, {"i1": d.instance(["n1"], memory=2048, admin_state=state)})
    c = d.cluster_of(doc)
    assert c.nodes.i_mem[0] == 2048 and d.spec_of(c, "i1").run_state == RUNNING


def test_build_instance_nodes_and_single_node_secondary():
    doc = d.document(
        {"n1": d.node(), "n2": d.node()},
        {"a": d.instance(["n2", "n1"]), "b": d.instance(["n1"])},
    )
    insts = d.cluster_of(doc).instances
    assert insts.pnode.tolist() == [1, 0]
    assert insts.snode.tolist() == [0, NO_NODE]


TAGS = [
    "htools:iextags:svc",
    "htools:nlocation:rack",
    "htools:desiredlocation:power",
    "htools:nlocation:power",
    "htools:migration:hv",
    "htools:allowmigration:hv:xen::hv:kvm",
]


def _tagged() -> d.Doc:
    return d.document(
        {
            "n1": d.node(tags=["rack:1", "power:a", "hv:xen", "other"]),
            "n2": d.node(tags=["rack:1", "power:b", "hv:kvm", "rackety"]),
            "n3": d.node(tags=["rack:2", "hv:kvm"]),
        },
        {
            "i1": d.instance(["n1", "n2"], tags=["svc:dns", "svcx", "web", "power:b"]),
            "i2": d.instance(["n1", "n3"], tags=["svc:dns", "power:a"]),
            "i3": d.instance(["n2"], tags=["svc:mail"]),
        },
        cluster_tags=TAGS,
    )


def test_build_exclusion_tags_are_instance_tags_with_prefix():
    c = d.cluster_of(_tagged())
    # "svcx" starts with "svc" too (plain prefix match); "web" and "power:b" do not
    assert d.spec_of(c, "i1").excl_tags == ("svc:dns", "svcx")
    assert c.nodes.p_tags[0] == {"svc:dns": 2, "svcx": 1}
    # primaries sharing an exclusion tag: sum(count - 1) = 1 on n1
    assert c.nodes.conflicts.tolist() == [1, 0, 0]


def test_build_location_tags_need_prefix_and_colon():
    c = d.cluster_of(_tagged())
    # "rackety" does not start with "rack:"; "other" matches no prefix
    assert c.nodes.loc_tags == [
        frozenset({"rack:1", "power:a"}),
        frozenset({"rack:1", "power:b"}),
        frozenset({"rack:2"}),
    ]


def test_build_location_score_common_failure_domains_and_desired_locations():
    c = d.cluster_of(_tagged())
    # i1 on (n1, n2): shared {rack:1} -> 1, desires power:b, n1 has power:a -> 1 unsatisfied;
    # i2 on (n1, n3): shared {} -> 0, desires power:a, satisfied on n1 -> 0.  n1: 2.
    assert c.instances.loc_score.tolist() == [1, 0, 0]
    assert c.nodes.loc_score.tolist() == [2, 0, 0]
    assert d.spec_of(c, "i1").desired_loc == frozenset({"power:b"})


def test_build_location_exclusion_pairs_per_primary_node():
    c = d.cluster_of(_tagged())
    # n1 primaries i1 (svc:dns, svcx) and i2 (svc:dns), n1 locations {rack:1, power:a}
    assert c.nodes.loc_excl[0] == {
        ("rack:1", "svc:dns"): 2,
        ("power:a", "svc:dns"): 2,
        ("rack:1", "svcx"): 1,
        ("power:a", "svcx"): 1,
    }
    assert c.nodes.loc_excl[1] == {("rack:1", "svc:mail"): 1, ("power:b", "svc:mail"): 1}


def test_build_migration_tags_and_allowed_receivers():
    n = d.cluster_of(_tagged()).nodes
    assert n.mig_tags == [frozenset({"hv:xen"}), frozenset({"hv:kvm"}), frozenset({"hv:kvm"})]
    # hv:kvm nodes may receive from hv:xen nodes; not the other way round
    assert n.rmig_tags[1] == frozenset({"hv:kvm", "hv:xen"})
    assert n.rmig_tags[0] == frozenset({"hv:xen"})


def test_build_no_cluster_tags_no_tag_figures():
    doc = _tagged()
    doc["cluster_tags"] = []
    c = d.cluster_of(doc)
    assert d.spec_of(c, "i1").excl_tags == ()
    assert c.nodes.loc_tags == [frozenset()] * 3
    assert c.nodes.mig_tags == [frozenset()] * 3
    assert c.nodes.loc_score.tolist() == [0, 0, 0]


def test_build_instance_specs_made_on_first_use_and_kept():
    doc = d.document({"n1": d.node()}, {"i1": d.instance(["n1"]), "i2": d.instance(["n1"], memory=512)})
    c = d.cluster_of(doc)
    specs = c.instances.specs
    assert specs._specs == [None, None]  # no tags, no locations: nothing needed them
    assert (specs[1].name, specs[1].memory) == ("i2", 512)
    assert specs[1] is specs[1] and specs._specs[0] is None
    copied = c.copy().instances.specs
    copied.append(specs[0])
    assert [s.name for s in copied] == ["i1", "i2", "i1"] and len(specs) == 2


def test_build_tagged_instances_specs_made_only_with_tag_prefixes():
    # exclusion tags need their spec at load time (per-node tag counts); untagged ones do not
    doc = d.document(
        {"n1": d.node()},
        {"i1": d.instance(["n1"], tags=["web:a"]), "i2": d.instance(["n1"])},
        cluster_tags=["htools:iextags:web"],
    )
    specs = d.cluster_of(doc).instances.specs
    assert specs._specs[0] is not None and specs._specs[1] is None
    assert specs[0].excl_tags == ("web:a",)


def test_build_group_networks_keep_document_order():
    # hail shows a group's networks in the order Ganeti sent them (change-group's messages); a set
    # made that order depend on Python's hash seed
    names = [f"net-{i}" for i in (5, 1, 9, 3, 7, 2)]
    doc = d.document({"n1": d.node()}, groups={d.GROUP: d.group(networks=names)})
    (group,) = d.cluster_of(doc).groups
    assert list(group.networks) == names
    assert show_group(group, 0, []).index("net-5") < show_group(group, 0, []).index("net-2")


def test_build_copy_has_its_own_tag_counts():
    doc = d.document(
        {"n1": d.node(tags=["rack:a"])},
        {"i1": d.instance(["n1"], tags=["web:a"]), "i2": d.instance(["n1"], tags=["web:a"])},
        cluster_tags=["htools:iextags:web", "htools:nlocation:rack"],
    )
    c = d.cluster_of(doc)
    copied = c.copy()
    assert copied.nodes.p_tags == [{"web:a": 2}] and copied.nodes.loc_excl == [{("rack:a", "web:a"): 2}]
    copied.nodes.p_tags[0]["web:a"] += 1
    copied.nodes.loc_excl[0].update([("rack:a", "web:b")])
    assert c.nodes.p_tags == [{"web:a": 2}] and c.nodes.loc_excl == [{("rack:a", "web:a"): 2}]
    assert copied.nodes.p_tags[0]["other"] == 0  # still a Counter
