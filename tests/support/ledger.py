"""Node bookkeeping for tests.support.validity: which nodes may receive instances, and the
memory, disk and spindles left on them after a set of placements and moves."""

from __future__ import annotations

import math
from typing import Any, NoReturn

Doc = dict[str, Any]
LOCAL_TEMPLATES = ("plain", "drbd")


def fail(message: str) -> NoReturn:
    raise AssertionError(message)


def group_of(doc: Doc, node: str) -> str:
    group: str = doc["nodes"][node]["group"]
    return group


def kvm_reserved_memory(doc: Doc, static: int) -> int | None:
    """What hail uses instead of each node's reserved_memory: `--static-kvm-node-memory`
    (default 4096) when the first enabled hypervisor is kvm and it is > 0, else None."""
    hypervisors = doc.get("enabled_hypervisors") or [""]
    return static if hypervisors[0] == "kvm" and static > 0 else None


def uses_memory(inst: dict[str, Any]) -> bool:
    """Running instances use memory on their primary (a missing or unknown state means up)."""
    return inst.get("admin_state", "up") not in ("down", "offline")


def check_node(doc: Doc, name: object, what: str) -> None:
    """`name` is a node that may receive instances: known, online, not drained, vm_capable."""
    if not isinstance(name, str) or name not in doc["nodes"]:
        fail(f"{what}: unknown node {name!r}")
    node = doc["nodes"][name]
    if node.get("offline"):
        fail(f"{what}: node {name} is offline")
    if node.get("drained"):
        fail(f"{what}: node {name} is drained")
    if node.get("vm_capable", True) is False:
        fail(f"{what}: node {name} is not vm_capable")


def check_one_group(doc: Doc, nodes: list[str], what: str) -> str:
    """The nodes are distinct and in one group; returns its UUID."""
    if len(set(nodes)) != len(nodes):
        fail(f"{what}: nodes are not distinct: {nodes}")
    groups = {group_of(doc, n) for n in nodes}
    if len(groups) != 1:
        fail(f"{what}: nodes {nodes} span groups {sorted(groups)}")
    return groups.pop()


class Ledger:
    """Free resources per node (ALGORITHM.md 1.3): unallocated memory
    min(trunc(total) - reserved - running primaries' memory, free_memory), free_disk, and
    free_spindles on exclusive-storage nodes. Records which nodes received something."""

    def __init__(self, doc: Doc, reserved: int | None):
        self.doc, self.reserved = doc, reserved
        self.memory: dict[str, int] = {}
        self.disk: dict[str, int] = {}
        self.spindles: dict[str, int] = {}
        self.received: dict[str, str] = {}  # node -> what it received, for messages
        self._used: dict[str, int] | None = None

    def _running_memory(self, node: str) -> int:
        if self._used is None:
            self._used = {}
            for inst in self.doc["instances"].values():
                if uses_memory(inst):
                    primary = inst["nodes"][0]
                    self._used[primary] = self._used.get(primary, 0) + inst["memory"]
        return self._used.get(node, 0)

    def _memory(self, node: str) -> int:
        if node not in self.memory:
            data = self.doc["nodes"][node]
            reserved = self.reserved if self.reserved is not None else data.get("reserved_memory", 0)
            total = math.trunc(data.get("total_memory", 0))
            free = data.get("free_memory", 0)
            self.memory[node] = min(total - reserved - self._running_memory(node), free)
        return self.memory[node]

    def _charge(self, inst: dict[str, Any], node: str, primary: bool, sign: int) -> None:
        data = self.doc["nodes"][node]
        if primary and uses_memory(inst):
            self.memory[node] = self._memory(node) - sign * inst["memory"]
        if inst["disk_template"] not in LOCAL_TEMPLATES:
            return
        self.disk[node] = self.disk.get(node, data.get("free_disk", 0)) - sign * inst["disk_space_total"]
        if data["ndparams"].get("exclusive_storage"):
            spindles = [d.get("spindles") for d in inst["disks"]]
            if sign > 0 and None in spindles:
                fail(
                    f"{inst.get('name', 'instance')}: disks without spindles on exclusive-storage node {node}"
                )
            used = sum(s or 0 for s in spindles)
            self.spindles[node] = self.spindles.get(node, data.get("free_spindles", 0)) - sign * used

    def add(self, inst: dict[str, Any], nodes: list[str], what: str) -> None:
        """Place a new instance (primary first)."""
        for k, node in enumerate(nodes):
            self._charge(inst, node, k == 0, +1)
            self.received[node] = what

    def move(
        self, inst: dict[str, Any], new: list[str], what: str, converted: dict[str, Any] | None = None
    ) -> None:
        """Move an existing instance from its nodes to `new` (as `converted` if given)."""
        old = inst["nodes"][:2]
        after = converted if converted is not None else inst
        for k, node in enumerate(old):
            if node not in new or (k == 0) != (node == new[0]):
                self._charge(inst, node, k == 0, -1)
        for k, node in enumerate(new):
            if node not in old or (k == 0) != (node == old[0]):
                self._charge(after, node, k == 0, +1)
                self.received[node] = what

    def check(self) -> None:
        """Every node that received something keeps memory > 0, disk > 0, spindles >= 0.
        Offline nodes are not judged: a target is never offline (check_node), so an offline
        node here is an old primary that a DRBD failover made the secondary, and Ganeti and
        hail ignore offline nodes' resources (ALGORITHM.md 1.3, 5.4 Failover)."""
        for node, what in self.received.items():
            if self.doc["nodes"][node].get("offline"):
                continue
            if node in self.memory and self.memory[node] <= 0:
                fail(f"{what}: node {node} is left with {self.memory[node]} MiB unallocated memory")
            if node in self.disk and self.disk[node] <= 0:
                fail(f"{what}: node {node} is left with {self.disk[node]} MiB free disk")
            if self.spindles.get(node, 0) < 0:
                fail(f"{what}: node {node} is left with {self.spindles[node]} free spindles")
