"""How tests.support.gen fills a cluster: instances placed the way a hail-managed cluster
looks (balanced, N+1 safe, within each group's ipolicy), with running totals per node."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from typing import Any

from tests.support.cluster_spec import (
    EXCLUSION_PREFIX,
    LOCAL_TEMPLATES,
    SERVICES,
    ClusterSpec,
    compute_disk_size,
    new_mac,
)

# (values, cumulative weights) of instance sizes
VCPUS = ((1, 2, 4, 8), (30.0, 70.0, 95.0, 100.0))
DISK_COUNTS = ((1, 2, 3), (70.0, 95.0, 100.0))
SPINDLE_USES = ((1, 2), (85.0, 100.0))


@dataclass
class Node:
    """A node being filled: its hardware and flags, and running totals of what it holds."""

    name: str
    group: int
    mem: int
    dom0: int
    budget: int  # memory instances may use: total - max(dom0, what hail reserves)
    disk: int
    cpus: int
    pvs: int
    exclusive: bool
    offline: bool = False
    drained: bool = False
    vm_capable: bool = True
    tags: list[str] = field(default_factory=list)
    mem_up: int = 0  # memory of running primaries
    mem_all: int = 0
    disk_used: int = 0  # volume group
    file_used: int = 0
    spindles_used: int = 0  # exclusive storage: disk spindles; otherwise spindle_use
    vcpus: int = 0
    peers: dict[int, int] = field(default_factory=dict)  # DRBD memory reserved per primary
    rmem: int = 0  # max(peers)


@dataclass(frozen=True)
class Need:
    """What one instance needs from the nodes it is placed on."""

    template: str
    mem: int  # on the primary: 0 unless running
    sec_mem: int  # reserved on a DRBD secondary: 0 if admin offline
    dst: int  # disk_space_total
    spindles: int  # disk spindles with exclusive storage, else spindle_use
    vcpus: int


@dataclass
class Group:
    """A node group: its document fields and the indices of its nodes."""

    uuid: str
    name: str
    policy: dict[str, Any]
    alloc_policy: str
    networks: list[str]
    exclusive: bool
    nodes: list[int] = field(default_factory=list)


def _pick_template(spec: ClusterSpec, rng: random.Random, allowed: list[str]) -> str:
    mix = [(t, w) for t, w in spec.templates if t in allowed and w > 0]
    if not mix:
        return rng.choice([t for t in allowed if t in ("drbd", "plain", "diskless")] or allowed)
    return rng.choices([t for t, _ in mix], [w for _, w in mix])[0]


def _weighted(rng: random.Random, table: tuple[tuple[int, ...], tuple[float, ...]]) -> int:
    """One of table[0], drawn with the cumulative weights table[1] (faster than rng.choices)."""
    values, cumulative = table
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _within(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


class Filler:
    """Places instances on nodes the way a hail-managed cluster looks: balanced, N+1 safe."""

    def __init__(self, spec: ClusterSpec, rng: random.Random, groups: list[Group], nodes: list[Node]):
        self.spec, self.rng, self.groups, self.nodes = spec, rng, groups, nodes
        drbd_share = dict(spec.templates).get("drbd", 0.0)
        ipn = max(spec.instances_per_node, 0.1)
        self.mean_mem = {
            g: spec.fill * sum(nodes[i].budget for i in grp.nodes) / max(1, len(grp.nodes)) / ipn / 1.2
            for g, grp in enumerate(groups)
        }
        self.mean_disk = {
            g: spec.fill * nodes[grp.nodes[0]].disk / ipn / (1 + drbd_share) / 1.3 if grp.nodes else 0
            for g, grp in enumerate(groups)
        }

        self.group_hosts = [[i for i in grp.nodes if self._hosts(i)] for grp in groups]

    def instances(self) -> dict[str, Any]:
        hosts = [i for grp in self.group_hosts for i in grp]
        total = round(len(hosts) * self.spec.instances_per_node)
        out: dict[str, Any] = {}
        for k in range(total):
            primary = self._least_loaded(hosts, 2)
            inst = self._place(f"inst{k:05d}.example.com", primary)
            if inst is not None:
                out[f"inst{k:05d}.example.com"] = inst
        return out

    def _hosts(self, i: int) -> bool:
        node = self.nodes[i]
        return node.vm_capable and (self.spec.offline_instances or not node.offline)

    def _least_loaded(self, pool: list[int], tries: int) -> int:
        picks = [self.rng.choice(pool) for _ in range(tries)]
        return min(picks, key=lambda i: (self.nodes[i].mem_all / self.nodes[i].mem, i))

    def _size(self, g: int, template: str) -> tuple[int, int, list[int], int]:
        rng, policy = self.rng, self.groups[g].policy
        pair = rng.choice(policy["minmax"])
        lo, hi = pair["min"], pair["max"]
        mem = 128 * round(self.mean_mem[g] * rng.lognormvariate(0, 0.6) / 128)
        mem = _within(mem, lo["memory-size"], hi["memory-size"])
        vcpus = _within(_weighted(rng, VCPUS), lo["cpu-count"], hi["cpu-count"])
        count = _within(_weighted(rng, DISK_COUNTS), lo["disk-count"], hi["disk-count"])
        if template == "diskless":
            sizes: list[int] = []
        else:
            each = self.mean_disk[g] / count
            sizes = [
                _within(
                    1024 * round(each * rng.lognormvariate(0, 0.5) / 1024), lo["disk-size"], hi["disk-size"]
                )
                for _ in range(count)
            ]
        spindle_use = _within(_weighted(rng, SPINDLE_USES), lo["spindle-use"], hi["spindle-use"])
        if self.groups[g].exclusive:
            spindle_use = _within(spindle_use, len(sizes), hi["spindle-use"])
        return mem, vcpus, sizes, spindle_use

    def _fits(self, i: int, need: Need, secondary_of: int = -1) -> bool:
        """Whether node i can take the instance (as DRBD secondary of `secondary_of` if >= 0)."""
        node, policy = self.nodes[i], self.groups[self.nodes[i].group].policy
        reserve, mem = node.rmem, need.mem
        if secondary_of >= 0:
            reserve = max(reserve, node.peers.get(secondary_of, 0) + need.sec_mem)
            mem = 0
        if node.mem_up + mem + reserve > node.budget:
            return False
        if need.template in LOCAL_TEMPLATES:
            if node.disk_used + need.dst > node.disk * 0.9:
                return False
            ratio = policy["spindle-ratio"] * self.spec.spindle_count * 0.8
            if node.spindles_used + need.spindles > (node.pvs if node.exclusive else ratio):
                return False
        if need.template == "file" and node.file_used + need.dst > node.disk // 4 * 0.9:
            return False
        return secondary_of >= 0 or node.vcpus + need.vcpus <= node.cpus * policy["vcpu-ratio"] * 0.8

    def _place(self, name: str, p: int) -> dict[str, Any] | None:
        rng, pnode = self.rng, self.nodes[p]
        group = self.groups[pnode.group]
        template = _pick_template(self.spec, rng, group.policy["disk-templates"])
        mem, vcpus, sizes, spindle_use = self._size(pnode.group, template)
        weights = [1 - self.spec.down, self.spec.down * 0.75, self.spec.down * 0.25]
        state = rng.choices(["up", "down", "offline"], weights)[0]
        need = Need(
            template=template,
            mem=mem if state == "up" else 0,
            sec_mem=0 if state == "offline" else mem,
            dst=compute_disk_size(template, sizes),
            spindles=len(sizes) if group.exclusive else spindle_use,
            vcpus=0 if state == "offline" else vcpus,
        )
        if not self._fits(p, need):
            return None
        nodes = [p]
        if template == "drbd":
            others = self.group_hosts[pnode.group]
            tried = [rng.choice(others) for _ in range(4)] if len(others) > 1 else []
            fitting = [s for s in tried if s != p and self._fits(s, need, p)]
            if not fitting:
                return None
            s = min(fitting, key=lambda i: (self.nodes[i].disk_used, i))
            snode = self.nodes[s]
            snode.peers[p] = snode.peers.get(p, 0) + need.sec_mem
            snode.rmem = max(snode.rmem, snode.peers[p])
            nodes.append(s)
        if template in LOCAL_TEMPLATES:
            for i in nodes:
                self.nodes[i].disk_used += need.dst
                self.nodes[i].spindles_used += need.spindles
        pnode.mem_all += mem
        pnode.mem_up += need.mem
        pnode.file_used += need.dst if template == "file" else 0
        pnode.vcpus += need.vcpus
        return self._instance(name, template, state, mem, vcpus, sizes, spindle_use, nodes)

    def _instance(
        self,
        name: str,
        template: str,
        state: str,
        mem: int,
        vcpus: int,
        sizes: list[int],
        spindle_use: int,
        nodes: list[int],
    ) -> dict[str, Any]:
        rng, exclusive = self.rng, self.groups[self.nodes[nodes[0]].group].exclusive
        tags = []
        if self.spec.exclusion_tags and rng.random() < 0.5:
            tags.append(f"{EXCLUSION_PREFIX}:{rng.choice(SERVICES)}")
        disks = [
            {"dev_type": template, "size": size, "mode": "rw", "spindles": 1 if exclusive else None}
            for size in sizes
        ]
        return {
            "tags": tags,
            "admin_state": state,
            "vcpus": vcpus,
            "memory": mem,
            "spindle_use": spindle_use,
            "os": "debootstrap+default",
            "nodes": [self.nodes[i].name for i in nodes],
            "nics": [{"mac": new_mac(rng), "ip": None, "mode": "bridged", "link": "br0", "bridge": "br0"}],
            "disks": disks,
            "disk_template": template,
            "disks_active": state == "up",
            "hypervisor": self.spec.hypervisor,
            "disk_space_total": compute_disk_size(template, sizes),
        }
