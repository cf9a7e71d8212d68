"""Adding a DRBD secondary: every check in hail's order with its failure code, which ones
`force` (--ignore-soft-errors) lifts, the figures afterwards, and the memory secondaries reserve
for their primaries (ALGORITHM.md 3.4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.cluster.model import Cluster, InstanceSpec, IntArray
from app.engine.checks.failures import Fail
from app.engine.nodeops import Effect
from app.engine.score.secondary import peer_values, secondary_effect
from tests.support import docs as d

OK = 0
POLICY = d.group(ipol=d.ipolicy(vcpu_ratio=1.0, spindle_ratio=1.0))  # spindle-ratio 1.0


def _codes(effect: Effect) -> list[int]:
    return [int(x) for x in effect.fail]


# --- secondary (addSec) -----------------------------------------------------------------
# The new instance: drbd, 1024 MiB, one 1024 MiB disk (1152 MiB with metadata), 1 spindle,
# primary "host".
SECONDARY_NODES = {
    "ok": d.node(),
    "disk": d.node(free_disk=1152),  # 1152 - 1152 = 0 <= 0
    "spindles": d.node(exclusive=True, free_spindles=0),
    "ratio": d.node(spindles=1),  # + r: instSpindles 1 (+1) > 1
    "mem": d.node(free_memory=1024),  # memory 1024 >= unallocated 1024
    "n1": d.node(free_memory=2000),  # peers[host] 1000 + 1024 = 2024 >= 2000
    "n1-other": d.node(free_memory=2000),  # peers[other] 1000; max(1000, 1024) < 2000
    "n1-failing": d.node(free_memory=1500),  # rMem 2000 > 1500: already failing, accepted
    # unallocated 16384 - 15360 (m) = 1024 <= 1024; already failing N+1 (16384 < 17000) and
    # reported free memory (hence the shadow value) is high: only this check fires
    "mem-failing": d.node(),
    "forth": d.node(),  # + f: stopped 15360 MiB, fMemForth 1024 <= 1024
    "host": d.node(),
    "other": d.node(),
}
SECONDARY_INSTANCES = {
    "r": d.instance(["ratio"]),
    "s1": d.instance(["host", "n1"], memory=1000),
    "s2": d.instance(["other", "n1-other"], memory=1000),
    "s3": d.instance(["other", "n1-failing"], memory=2000),
    "s4": d.instance(["other", "mem-failing"], memory=17000),
    "m": d.instance(["mem-failing"], memory=15360),
    "f": d.instance(["forth"], memory=15360, admin_state="down"),
}
SECONDARY_STRICT = {
    "ok": OK,
    "disk": Fail.DISK,
    "spindles": Fail.SPINDLES,
    "ratio": Fail.DISK,
    "mem": Fail.MEM,
    "n1": Fail.MEM,
    "n1-other": OK,
    "n1-failing": OK,
    "mem-failing": Fail.MEM,
    "forth": Fail.MEM,
}


def _secondary_cluster(**changes: Any) -> tuple[Cluster, InstanceSpec, IntArray, IntArray]:
    doc = d.document(SECONDARY_NODES, SECONDARY_INSTANCES, groups={d.GROUP: POLICY})
    c = d.cluster_of(doc)
    spec = d.new_spec(c, memory=1024, template="drbd", spindles=1, **changes)
    targets = d.idx(c, *SECONDARY_STRICT)
    return c, spec, np.full(len(targets), c.node_index["host"]), targets


def test_secondary_each_check_strict_failure_code():
    c, spec, p, s = _secondary_cluster()
    assert _codes(secondary_effect(c, p, s, spec)) == list(SECONDARY_STRICT.values())


def test_secondary_each_check_force_lifts_only_soft_checks():
    c, spec, p, s = _secondary_cluster()
    expected = [
        Fail.DISK if n == "disk" else Fail.SPINDLES if n == "spindles" else OK for n in SECONDARY_STRICT
    ]
    assert _codes(secondary_effect(c, p, s, spec, force=True)) == expected


def test_secondary_template_not_drbd_fails_even_forced():
    c, spec, p, s = _secondary_cluster()
    plain = spec._replace(template="plain")
    assert set(_codes(secondary_effect(c, p, s, plain, force=True))) == {Fail.DISK}


def test_secondary_ignore_disks_only_when_forced():
    c, spec, p, s = _secondary_cluster()
    disk = d.idx(c, "disk")
    host = d.idx(c, "host")
    assert _codes(secondary_effect(c, host, disk, spec, force=True, ignore_disks=True)) == [OK]
    # strict: the shadow ("forthcoming") disk check still sees 0 MiB left
    assert _codes(secondary_effect(c, host, disk, spec, force=False, ignore_disks=True)) == [Fail.DISK]


def test_secondary_offline_instance_reserves_no_memory():
    c, spec, p, s = _secondary_cluster()
    offline = spec._replace(run_state=2)
    mem = d.idx(c, "mem", "n1")
    host = np.full(2, c.node_index["host"])
    assert _codes(secondary_effect(c, host, mem, offline)) == [OK, OK]


def test_secondary_two_failing_checks_first_reported():
    doc = d.document(
        {
            "disk+spindles": d.node(exclusive=True, free_spindles=0, free_disk=1152),
            "spindles+mem": d.node(exclusive=True, free_spindles=0, free_memory=1024),
            "ratio+mem": d.node(spindles=1, free_memory=1024),
            "host": d.node(),
        },
        {"r": d.instance(["ratio+mem"], memory=0)},
        groups={d.GROUP: POLICY},
    )
    c = d.cluster_of(doc)
    spec = d.new_spec(c, memory=1024, template="drbd", spindles=1)
    s = d.idx(c, "disk+spindles", "spindles+mem", "ratio+mem")
    assert _codes(secondary_effect(c, np.full(3, 3), s, spec)) == [Fail.DISK, Fail.SPINDLES, Fail.DISK]


def test_secondary_effect_new_figures():
    c, spec, _, _ = _secondary_cluster()
    host, n1 = d.idx(c, "host"), d.idx(c, "n1")
    f = secondary_effect(c, host, n1, spec, force=True).fields
    # rMem max(1000, 1000 + 1024); unallocated 2000 <= 2024: failing N+1; disk 100000 - 1152
    assert (f.r_mem[0], bool(f.fail_n1[0]), f.f_dsk[0], f.s_cnt[0], f.unalloc[0]) == (
        2024,
        True,
        98848,
        2,
        2000,
    )


@pytest.mark.parametrize("every", [1, 40])
def test_peer_values_same_as_lookup(every):
    # all pairs take the table (more pairs than peer entries), every 40th the dict lookups
    c, _, _, _ = _secondary_cluster()
    n = len(c.nodes)
    pairs = [(p, s) for p in range(n) for s in range(n) if p != s][::every]
    p, s = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
    expected = [c.nodes.peers[b].get(a, 0) for a, b in pairs]
    assert peer_values(c, p, s).tolist() == expected
    if every == 1:
        assert sum(expected) == 21000  # s1 + s2 + s3 + s4
