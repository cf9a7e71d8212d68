"""Adding a primary: every check in hail's order with its failure code, which ones `force`
(--ignore-soft-errors) lifts, and exact add/remove round trips of primaries and secondaries
(ALGORITHM.md 3.3-3.5)."""

from __future__ import annotations

import numpy as np
import pytest

from app.cluster.model import Cluster, InstanceSpec
from app.engine.checks.failures import Fail
from app.engine.nodeops import (
    Effect,
    add_primary,
    add_secondary,
    primary_effect,
    remove_primary,
    remove_secondary,
)
from tests.support import docs as d

OK = 0
# vcpu-ratio 1.0 and spindle-ratio 1.0; exclusion tags start with "svc"
POLICY = d.group(ipol=d.ipolicy(vcpu_ratio=1.0, spindle_ratio=1.0))
TAGS = ["htools:iextags:svc"]


def _codes(effect: Effect) -> list[int]:
    return [int(x) for x in effect.fail]


# --- primary (addPri) -------------------------------------------------------------------
# The new instance: plain, 1024 MiB, 2 vcpus, one 1024 MiB disk with 1 spindle, spindle_use 1,
# tag svc:dns. Each node below is built to break exactly one check.
PRIMARY_NODES = {
    "ok": d.node(),
    "mem": d.node(free_memory=1024),  # 1024 - 1024 = 0 <= 0
    "disk": d.node(free_disk=1024),  # 1024 - 1024 = 0 <= 0
    "spindles": d.node(exclusive=True, free_spindles=0),  # 0 - 1 < 0
    "ratio": d.node(spindles=1),  # instSpindles 1 (+1) > 1.0 * 1
    "n1": d.node(free_memory=4000),  # rMem 3000: 4000 - 1024 = 2976 <= 3000
    "n1-failing": d.node(free_memory=2999),  # already failing N+1 (2999 < 3000): accepted
    "cpu": d.node(cpus=4, reserved_cpus=3),  # (3 + 2) / 4 = 1.25 > 1.0
    "tags": d.node(),  # already hosts a primary tagged svc:dns
    "forth": d.node(),  # fMemForth = 16384 - 15360 (stopped) = 1024; 1024 - 1024 <= 0
    "host": d.node(),
}
PRIMARY_INSTANCES = {
    "r": d.instance(["ratio"], spindle_use=1),
    "p1": d.instance(["host", "n1"], memory=3000),
    "p2": d.instance(["host", "n1-failing"], memory=3000),
    "t": d.instance(["tags"], tags=["svc:dns"]),
    "f": d.instance(["forth"], memory=15360, admin_state="down"),
}
PRIMARY_STRICT = {
    "ok": OK,
    "mem": Fail.MEM,
    "disk": Fail.DISK,
    "spindles": Fail.SPINDLES,
    "ratio": Fail.DISK,
    "n1": Fail.MEM,
    "n1-failing": OK,
    "cpu": Fail.CPU,
    "tags": Fail.TAGS,
    "forth": Fail.MEM,
    "host": OK,
}
PRIMARY_FORCED = PRIMARY_STRICT | {"ratio": OK, "n1": OK, "cpu": OK, "tags": OK, "forth": OK}


def _primary_cluster() -> tuple[Cluster, InstanceSpec]:
    doc = d.document(PRIMARY_NODES, PRIMARY_INSTANCES, groups={d.GROUP: POLICY}, cluster_tags=TAGS)
    c = d.cluster_of(doc)
    spec = d.new_spec(c, memory=1024, vcpus=2, spindles=1, tags=["svc:dns"])
    return c, spec


def test_primary_each_check_strict_failure_code():
    c, spec = _primary_cluster()
    assert _codes(primary_effect(c, d.idx(c), spec, force=False)) == list(PRIMARY_STRICT.values())


def test_primary_each_check_force_lifts_only_soft_checks():
    c, spec = _primary_cluster()
    assert _codes(primary_effect(c, d.idx(c), spec, force=True)) == list(PRIMARY_FORCED.values())


def test_primary_memory_boundary_one_mib_left_passes():
    c, spec = _primary_cluster()
    # 1025 - 1024 = 1 > 0 (and the shadow value 1025 - 1024 > 0 too)
    doc = d.document({"n": d.node(free_memory=1025)})
    c = d.cluster_of(doc)
    assert _codes(primary_effect(c, d.idx(c), spec._replace(excl_tags=()), force=False)) == [OK]


def test_primary_non_local_template_skips_disk_and_spindle_checks():
    c, _ = _primary_cluster()
    spec = d.new_spec(c, memory=1024, vcpus=2, template="diskless", disks=())
    codes = dict(zip(PRIMARY_NODES, _codes(primary_effect(c, d.idx(c), spec, force=False)), strict=True))
    assert (codes["disk"], codes["spindles"], codes["ratio"]) == (OK, OK, OK)


def test_primary_unknown_disk_spindles_fail_on_exclusive_storage():
    c, _ = _primary_cluster()
    spec = d.new_spec(c, spindles=None)
    node = d.idx(c, "spindles", "ok")
    assert _codes(primary_effect(c, node, spec, force=True)) == [Fail.SPINDLES, OK]


def test_primary_negative_vcpu_ratio_disables_cpu_check():
    c, spec = _primary_cluster()
    c.nodes.vcpu_ratio[:] = -1.0
    cpu = d.idx(c, "cpu")
    assert _codes(primary_effect(c, cpu, spec, force=False)) == [OK]


def test_primary_other_exclusion_tag_accepted():
    c, _ = _primary_cluster()
    spec = d.new_spec(c, vcpus=2, spindles=1, tags=["svc:web", "dns"])
    assert _codes(primary_effect(c, d.idx(c, "tags"), spec, force=False)) == [OK]


# Each node breaks two checks; the earlier one in hail's order is reported.
ORDER_NODES = {
    "mem+disk": d.node(free_memory=1024, free_disk=1024),
    "disk+spindles": d.node(exclusive=True, free_spindles=0, free_disk=1024),
    "spindles+cpu": d.node(exclusive=True, free_spindles=0, cpus=4, reserved_cpus=3),
    "ratio+cpu": d.node(spindles=1, cpus=4, reserved_cpus=2),  # + r: 1 vcpu, 1 spindle
    "n1+cpu": d.node(free_memory=4000, cpus=4, reserved_cpus=3),
    "cpu+tags": d.node(cpus=4, reserved_cpus=2),  # + t: 1 vcpu, svc:dns
    "tags+forth": d.node(),  # + f: stopped, 15360 MiB, svc:dns
    "host": d.node(),
}
ORDER_INSTANCES = {
    "r": d.instance(["ratio+cpu"]),
    "p": d.instance(["host", "n1+cpu"], memory=3000),
    "t": d.instance(["cpu+tags"], tags=["svc:dns"]),
    "f": d.instance(["tags+forth"], memory=15360, admin_state="down", tags=["svc:dns"]),
}


def test_primary_two_failing_checks_first_reported():
    doc = d.document(ORDER_NODES, ORDER_INSTANCES, groups={d.GROUP: POLICY}, cluster_tags=TAGS)
    c = d.cluster_of(doc)
    spec = d.new_spec(c, memory=1024, vcpus=2, spindles=1, tags=["svc:dns"])
    expected = [Fail.MEM, Fail.DISK, Fail.SPINDLES, Fail.DISK, Fail.MEM, Fail.CPU, Fail.TAGS, OK]
    assert _codes(primary_effect(c, d.idx(c), spec, force=False)) == expected


def test_primary_effect_new_figures():
    c, spec = _primary_cluster()
    ok = d.idx(c, "ok")
    f = primary_effect(c, ok, spec, force=False, loc_score=2).fields
    # 16384 - 1024; 100000 - 1024; 4 - 1 (exclusive storage off: spindles unchanged); 0 + 2 vcpus
    assert (f.unalloc[0], f.f_dsk[0], f.f_sp[0], f.u_cpu[0]) == (15360, 98976, 4, 2)
    assert (f.p_cnt[0], f.i_sp[0], f.f_mem_forth[0], f.loc_score[0]) == (1, 1.0, 15360, 2)


# --- round trips ------------------------------------------------------------------------
ROUND_TAGS = ["htools:iextags:svc", "htools:nlocation:rack", "htools:desiredlocation:rack"]


def _round_cluster() -> Cluster:
    doc = d.document(
        {
            "a": d.node(tags=["rack:1"]),
            "b": d.node(tags=["rack:1"], free_memory=3000),
            "x": d.node(exclusive=True, spindles=8, free_spindles=5, tags=["rack:2"]),
        },
        {
            "i1": d.instance(["a", "b"], memory=2000, tags=["svc:dns", "rack:2"]),
            "i2": d.instance(["b", "a"], memory=512, tags=["svc:dns"], spindle_use=3),
            "i3": d.instance(["a"], memory=256, admin_state="down", tags=["svc:web"]),
            "i4": d.instance(["x", "a"], memory=128, spindles=2),
        },
        cluster_tags=ROUND_TAGS,
    )
    return d.cluster_of(doc)


def _state(c: Cluster, node: int) -> dict[str, object]:
    n = c.nodes
    out: dict[str, object] = {k: v[node].item() for k, v in vars(n).items() if isinstance(v, np.ndarray)}
    out |= {"peers": dict(n.peers[node]), "p_tags": dict(n.p_tags[node]), "loc_excl": dict(n.loc_excl[node])}
    return out


NEW = [
    {"tags": ["svc:dns", "rack:2"], "spindles": 1},
    {"template": "drbd", "memory": 4096, "tags": ["svc:web"], "spindles": 3, "spindle_use": 2},
    {"template": "diskless", "disks": (), "vcpus": 4, "spindles": 0},
]


@pytest.mark.parametrize("fields", NEW)
@pytest.mark.parametrize("node", ["a", "b", "x"])
def test_primary_add_then_remove_restores_node(fields, node):
    c = _round_cluster()
    spec = d.new_spec(c, **fields)
    i = c.node_index[node]
    before = _state(c, i)
    add_primary(c, i, spec, 1)
    assert _state(c, i) != before
    remove_primary(c, i, spec, 1)
    assert _state(c, i) == before


@pytest.mark.parametrize("fields", NEW[:2])
@pytest.mark.parametrize(("primary", "node"), [("a", "b"), ("b", "a"), ("a", "x")])
def test_secondary_add_then_remove_restores_node(fields, primary, node):
    c = _round_cluster()
    spec = d.new_spec(c, **fields | {"template": "drbd"})
    p, s = c.node_index[primary], c.node_index[node]
    before = _state(c, s)
    add_secondary(c, s, spec, p)
    assert _state(c, s) != before
    remove_secondary(c, s, spec, p)
    assert _state(c, s) == before


@pytest.mark.parametrize("name", ["i1", "i2", "i3", "i4"])
def test_existing_instance_remove_then_add_restores_nodes(name):
    c = _round_cluster()
    k = c.instance_index[name]
    spec, loc = c.instances.specs[k], int(c.instances.loc_score[k])
    p, s = int(c.instances.pnode[k]), int(c.instances.snode[k])
    before = [_state(c, i) for i in range(len(c.nodes))]
    remove_primary(c, p, spec, loc)
    if s >= 0:
        remove_secondary(c, s, spec, p)
    assert [_state(c, i) for i in range(len(c.nodes))] != before
    add_primary(c, p, spec, loc)
    if s >= 0:
        add_secondary(c, s, spec, p)
    assert [_state(c, i) for i in range(len(c.nodes))] == before
