"""The cluster half of tests.support.gen: groups, nodes and instances as Ganeti 3.0 sends them.

Follows lib/masterd/iallocator.py of Ganeti 3.0 field by field: offline and non-vm_capable
nodes carry no run-time data, free memory excludes the memory of running primaries, free disk
is that of the volume group (the view of the default template, drbd), and disk_space_total is
Ganeti's ComputeDiskSize. Import from tests.support.gen, not from here.
"""

from __future__ import annotations

import math
import random
from typing import Any

from tests.support.cluster_fill import Filler, Group, Node
from tests.support.cluster_spec import (
    ALL_TEMPLATES,
    EXCLUSION_PREFIX,
    LOCATION_PREFIX,
    ClusterSpec,
    Doc,
    default_ipolicy,
    ispec,
    new_uuid,
)

RACK_SIZE = 6
MASTER_CANDIDATES = 10


def _varied_ipolicy(rng: random.Random, index: int) -> dict[str, Any]:
    policy = default_ipolicy()
    policy["vcpu-ratio"] = rng.choice([2.0, 4.0, 8.0])
    policy["spindle-ratio"] = rng.choice([16.0, 32.0, 64.0])
    if rng.random() < 0.5:
        policy["minmax"] = [
            {"max": ispec(8192, 4, 262144, 4, 8, 4), "min": ispec(128, 1, 1024, 1, 1, 1)},
            {"max": ispec(65536, 16, 1048576, 16, 8, 12), "min": ispec(4096, 2, 4096, 1, 1, 1)},
        ]
    if index > 0 and rng.random() < 0.4:
        dropped = rng.choice(["plain", "file", "diskless", "rbd"])
        policy["disk-templates"] = [t for t in ALL_TEMPLATES if t != dropped]
    return policy


def _build_groups(spec: ClusterSpec, rng: random.Random) -> list[Group]:
    networks = [new_uuid(rng) for _ in range(spec.networks)]
    groups = []
    for g in range(spec.groups):
        from_end = spec.groups - g
        if from_end <= spec.unallocable_groups:
            alloc = "unallocable"
        elif from_end <= spec.unallocable_groups + spec.last_resort_groups:
            alloc = "last_resort"
        else:
            alloc = "preferred"
        policy = _varied_ipolicy(rng, g) if spec.varied_ipolicies else default_ipolicy()
        linked = sorted(rng.sample(networks, rng.randint(1, len(networks)))) if networks else []
        exclusive = from_end <= spec.exclusive_storage_groups
        name = "default" if g == 0 else f"group{g}"
        groups.append(Group(new_uuid(rng), name, policy, alloc, linked, exclusive))
    return groups


def _build_nodes(spec: ClusterSpec, rng: random.Random, groups: list[Group]) -> list[Node]:
    nodes: list[Node] = []
    hail_reserve = 4096 if spec.hypervisor == "kvm" else 0
    per_group = max(1, spec.nodes // spec.groups)
    for g, group in enumerate(groups):
        count = per_group if g < len(groups) - 1 else spec.nodes - per_group * (len(groups) - 1)
        mem = rng.choice([65536, 131072, 262144])
        disk = rng.choice([1, 2, 4]) * 1048576
        cpus = rng.choice([16, 32, 48, 64])
        for _ in range(count):
            i = len(nodes)
            node_mem = mem - rng.randrange(64)
            dom0 = rng.choice([1024, 2048, 4096])
            pvs = max(8, 4 * math.ceil(spec.instances_per_node * 1.4)) if group.exclusive else 12
            node = Node(
                name=f"node{i:04d}.example.com",
                group=g,
                mem=node_mem,
                dom0=dom0,
                budget=node_mem - max(dom0, hail_reserve) - 512,
                disk=disk - rng.randrange(4096),
                cpus=cpus,
                pvs=pvs,
                exclusive=group.exclusive,
            )
            if spec.location_tags:
                node.tags.append(f"{LOCATION_PREFIX}:r{i // RACK_SIZE}")
            group.nodes.append(i)
            nodes.append(node)
    for attr, fraction in (("offline", spec.offline), ("drained", spec.drained)):
        for i in rng.sample(range(len(nodes)), round(fraction * len(nodes))):
            setattr(nodes[i], attr, True)
    for i in rng.sample(range(len(nodes)), round(spec.non_vm_capable * len(nodes))):
        nodes[i].vm_capable = False
    return nodes


def _node_doc(spec: ClusterSpec, rng: random.Random, i: int, node: Node, group: Group) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "tags": list(node.tags),
        "primary_ip": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
        "secondary_ip": f"10.{128 + i // 65536}.{i // 256 % 256}.{i % 256}",
        "offline": node.offline,
        "drained": node.drained,
        "master_candidate": i < MASTER_CANDIDATES and not (node.offline or node.drained),
        "group": group.uuid,
        "master_capable": True,
        "vm_capable": node.vm_capable,
        "ndparams": {
            "cpu_speed": 1.0,
            "exclusive_storage": node.exclusive,
            "oob_program": "",
            "ovs": False,
            "ovs_link": "",
            "ovs_name": "switch1",
            "spindle_count": spec.spindle_count,
            "ssh_port": 22,
        },
    }
    if node.offline or not node.vm_capable:
        return doc
    free_mem = node.mem - node.dom0 - node.mem_up - rng.randrange(256)
    spindles_free = node.pvs - node.spindles_used if node.exclusive else node.pvs
    live = {
        "total_memory": node.mem,
        "reserved_memory": node.dom0,
        "free_memory": max(0, free_mem),
        "total_disk": node.disk,
        "free_disk": node.disk - node.disk_used - rng.randrange(1024),
        "total_spindles": node.pvs,
        "free_spindles": spindles_free,
        "total_cpus": node.cpus,
        "reserved_cpus": rng.choice([1, 2]),
        "i_pri_memory": node.mem_all,
        "i_pri_up_memory": node.mem_up,
    }
    return live | doc


def generate(spec: ClusterSpec, seed: int) -> Doc:
    """A cluster document without `request` (add one with a builder of tests.support.gen)."""
    rng = random.Random(seed)
    groups = _build_groups(spec, rng)
    nodes = _build_nodes(spec, rng, groups)
    instances = Filler(spec, rng, groups, nodes).instances()
    cluster_tags = []
    if spec.exclusion_tags:
        cluster_tags.append(f"htools:iextags:{EXCLUSION_PREFIX}")
    if spec.location_tags:
        cluster_tags.append(f"htools:nlocation:{LOCATION_PREFIX}")
    return {
        "version": 2,
        "cluster_name": spec.cluster_name,
        "cluster_tags": cluster_tags,
        "enabled_hypervisors": [spec.hypervisor],
        "ipolicy": default_ipolicy(),
        "nodegroups": {
            g.uuid: {
                "name": g.name,
                "alloc_policy": g.alloc_policy,
                "networks": list(g.networks),
                "ipolicy": g.policy,
                "tags": [],
            }
            for g in groups
        },
        "nodes": {n.name: _node_doc(spec, rng, i, n, groups[n.group]) for i, n in enumerate(nodes)},
        "instances": instances,
    }
