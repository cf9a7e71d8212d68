"""The instance-policy check (`Instance.hs: instMatchesPolicy`, ALGORITHM.md 3.2)."""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster, InstanceSpec, IntArray
from app.engine.checks.failures import Fail
from app.protocol.request import IPolicy, ISpec


def _compare(inst: InstanceSpec, spec: ISpec, excl: bool, sign: int) -> Fail | None:
    """sign=-1: fail when the instance is below `spec`; sign=+1: when it is above."""

    def beyond(value: int, bound: int) -> bool:
        return (value - bound) * sign > 0

    if beyond(inst.memory, spec.memory_size):
        return Fail.MEM
    if any(beyond(size, spec.disk_size) for size in inst.disk_sizes):
        return Fail.DISK
    if beyond(inst.vcpus, spec.cpu_count):
        return Fail.CPU
    if excl:
        if inst.disk_spindles is None or beyond(inst.disk_spindles, spec.spindle_use):
            return Fail.SPINDLES
    elif beyond(inst.spindle_use, spec.spindle_use):
        return Fail.SPINDLES
    if inst.template != "diskless" and beyond(len(inst.disk_sizes), spec.disk_count):
        return Fail.DISK_COUNT
    return None


def policy_failure(inst: InstanceSpec, policy: IPolicy, excl: bool) -> Fail | None:
    """None when the instance fits at least one min/max pair and its template is allowed;
    otherwise the failure of the first pair (hail's foldr keeps it)."""
    if policy.minmax:
        first: Fail | None = None
        for pair in policy.minmax:
            why = _compare(inst, pair.min, excl, -1) or _compare(inst, pair.max, excl, 1)
            if why is None:
                break
            first = first or why
        else:
            return first
    if inst.template not in policy.disk_templates:
        return Fail.DISK
    return None


def policy_codes(c: Cluster, idx: IntArray, inst: InstanceSpec) -> IntArray:
    """The ipolicy failure (0 = fits) of `inst` on each node, by its group and storage."""
    memo: dict[tuple[int, bool], int] = {}
    out = np.zeros(len(idx), dtype=np.int64)
    for k, node in enumerate(idx):
        key = (int(c.nodes.group[node]), bool(c.nodes.excl[node]))
        if key not in memo:
            why = policy_failure(inst, c.groups[key[0]].ipolicy, key[1])
            memo[key] = int(why) if why else 0
        out[k] = memo[key]
    return out
