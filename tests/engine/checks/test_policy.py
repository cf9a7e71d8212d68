"""The instance-policy check, rule by rule (ALGORITHM.md 3.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from app.cluster.model import RUNNING, InstanceSpec
from app.engine.checks.failures import Fail
from app.engine.checks.policy import policy_failure
from app.protocol import IPolicy
from tests.support import docs as d

# min: 512 MiB, 1 cpu, 1024 MiB per disk, 1 disk, 1 spindle; max: 4096, 4, 8192, 2, 3
LO = d.ispec(memory=512, cpus=1, disk=1024, disks=1, spindles=1)
HI = d.ispec(memory=4096, cpus=4, disk=8192, disks=2, spindles=3)
INSIDE = InstanceSpec(
    name="x", memory=1024, vcpus=2, dsk=2048, template="plain", spindle_use=2, disk_sizes=(2048,),
    disk_spindles=2, run_state=RUNNING, excl_tags=(), desired_loc=frozenset(), networks=frozenset(),
)  # fmt: skip


def policy(*pairs: tuple[d.Doc, d.Doc], templates: Sequence[str] = d.TEMPLATES) -> IPolicy:
    return IPolicy.model_validate(d.ipolicy(minmax=pairs, templates=templates))


def check(policy_: IPolicy, excl: bool = False, **changes: Any) -> Fail | None:
    return policy_failure(INSIDE._replace(**changes), policy_, excl)


def test_policy_inside_bounds_passes():
    assert check(policy((LO, HI))) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"memory": 511}, Fail.MEM),
        ({"memory": 4097}, Fail.MEM),
        ({"memory": 512}, None),  # bounds are inclusive: only strictly below/above fails
        ({"memory": 4096}, None),
        ({"disk_sizes": (1023,)}, Fail.DISK),
        ({"disk_sizes": (8193,)}, Fail.DISK),
        ({"disk_sizes": (2048, 8193)}, Fail.DISK),  # every disk is checked on its own
        ({"disk_sizes": (1023, 2048)}, Fail.DISK),
        ({"disk_sizes": (8192, 8192)}, None),  # 16 GiB in total, but each disk is in bounds
        ({"vcpus": 0}, Fail.CPU),
        ({"vcpus": 5}, Fail.CPU),
        ({"spindle_use": 0}, Fail.SPINDLES),
        ({"spindle_use": 4}, Fail.SPINDLES),
        ({"disk_spindles": 9}, None),  # without exclusive storage disk spindles are not compared
        ({"disk_sizes": ()}, Fail.DISK_COUNT),
        ({"disk_sizes": (2048,) * 3}, Fail.DISK_COUNT),
    ],
)
def test_policy_single_rule_failure_code(changes, expected):
    assert check(policy((LO, HI)), **changes) is expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"disk_spindles": 2, "spindle_use": 99}, None),  # spindle_use is not compared
        ({"disk_spindles": 0}, Fail.SPINDLES),
        ({"disk_spindles": 4}, Fail.SPINDLES),
        ({"disk_spindles": None}, Fail.SPINDLES),  # a disk without spindles always fails
    ],
)
def test_policy_exclusive_storage_compares_disk_spindles(changes, expected):
    assert check(policy((LO, HI)), excl=True, **changes) is expected


def test_policy_diskless_skips_disk_count():
    # 0 disks is below the minimum of 1, which only diskless instances may ignore
    assert check(policy((LO, HI)), template="diskless", disk_sizes=()) is None
    assert check(policy((LO, HI)), template="plain", disk_sizes=()) is Fail.DISK_COUNT
    assert check(policy((LO, HI)), template="diskless", disk_sizes=(2048,) * 3) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"memory": 1, "disk_sizes": (1,), "vcpus": 99}, Fail.MEM),
        ({"disk_sizes": (1,), "vcpus": 99, "spindle_use": 0}, Fail.DISK),
        ({"vcpus": 0, "spindle_use": 0, "disk_sizes": ()}, Fail.CPU),
        ({"spindle_use": 0, "disk_sizes": ()}, Fail.SPINDLES),
        # below min on disk count, above max on memory: the min bound is tested first
        ({"disk_sizes": (), "memory": 9999}, Fail.DISK_COUNT),
    ],
)
def test_policy_several_rules_first_in_order_reported(changes, expected):
    assert check(policy((LO, HI)), **changes) is expected


def test_policy_template_not_allowed_fails_disk():
    assert check(policy((LO, HI), templates=["drbd"])) is Fail.DISK
    assert check(policy((LO, HI), templates=["drbd", "plain"])) is None


def test_policy_template_checked_after_minmax():
    assert check(policy((LO, HI), templates=["drbd"]), vcpus=99) is Fail.CPU


# a second pair for big instances: 8192..65536 MiB, 8..32 cpus
BIG_LO = d.ispec(memory=8192, cpus=8, disk=1024, disks=1, spindles=1)
BIG_HI = d.ispec(memory=65536, cpus=32, disk=8192, disks=2, spindles=3)


def test_policy_several_pairs_passes_if_one_fits():
    both = policy((LO, HI), (BIG_LO, BIG_HI))
    assert check(both) is None  # fits the first
    assert check(both, memory=16384, vcpus=16) is None  # fits the second only


def test_policy_several_pairs_none_fits_first_pair_failure_reported():
    # memory 16384 with 2 cpus: pair 1 says MEM (above 4096), pair 2 says CPU (below 8)
    assert check(policy((LO, HI), (BIG_LO, BIG_HI)), memory=16384) is Fail.MEM
    assert check(policy((BIG_LO, BIG_HI), (LO, HI)), memory=16384) is Fail.CPU


def test_policy_empty_minmax_accepts_any_size():
    empty = policy()
    assert check(empty, memory=10**9, vcpus=10**6, disk_sizes=()) is None
    assert check(policy(templates=["drbd"])) is Fail.DISK  # the template is still checked


def test_policy_nic_count_never_checked():
    lo = LO | {"nic-count": 5}
    hi = HI | {"nic-count": 0}
    assert check(policy((lo, hi))) is None
