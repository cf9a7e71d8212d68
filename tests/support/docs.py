"""Tiny builders of hand-made iallocator documents (plain dicts) for unit tests.

Every builder fills in all the fields hail requires, so a document can also be fed to
`hail` to check an expectation. Memory and disk are MiB. Defaults are round numbers that
keep hand arithmetic simple: 16 GiB nodes with no reserved memory, 100000 MiB of disk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.cluster import Cluster, InstanceSpec, build_cluster, request_spec
from app.cluster.model import IntArray
from app.protocol import MultiAllocateEntry, parse_document
from app.service.answer import answer

Doc = dict[str, Any]

GROUP = "uuid-default"  # UUID of the group `document` creates when none is given
TEMPLATES = ("diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster")
DRBD_META = 128  # MiB of DRBD metadata per disk (Ganeti's ComputeDiskSize)
HUGE = 2**30


def ispec(memory: int = 0, cpus: int = 0, disk: int = 0, disks: int = 0, spindles: int = 0) -> Doc:
    """One instance specification (a `min`, `max` or `std` of an ipolicy)."""
    return {
        "memory-size": memory,
        "cpu-count": cpus,
        "disk-size": disk,
        "disk-count": disks,
        "nic-count": 1,
        "spindle-use": spindles,
    }


WIDE = (ispec(), ispec(HUGE, HUGE, HUGE, HUGE, HUGE))  # a min/max pair that admits everything


def ipolicy(
    minmax: Sequence[tuple[Doc, Doc]] = (WIDE,),
    templates: Sequence[str] = TEMPLATES,
    vcpu_ratio: float = 4.0,
    spindle_ratio: float = 32.0,
) -> Doc:
    return {
        "minmax": [{"min": lo, "max": hi} for lo, hi in minmax],
        "std": ispec(),
        "disk-templates": list(templates),
        "vcpu-ratio": vcpu_ratio,
        "spindle-ratio": spindle_ratio,
    }


def group(
    name: str = "default",
    policy: str = "preferred",
    networks: Sequence[str] = (),
    ipol: Doc | None = None,
) -> Doc:
    return {
        "name": name,
        "alloc_policy": policy,
        "networks": list(networks),
        "ipolicy": ipol if ipol is not None else ipolicy(),
        "tags": [],
    }


def node(
    group: str = GROUP,
    memory: float = 16384,
    free_memory: int | None = None,
    reserved_memory: int = 0,
    disk: float = 100000,
    free_disk: int | None = None,
    cpus: float = 8,
    reserved_cpus: int = 0,
    spindles: int = 4,
    free_spindles: int | None = None,
    exclusive: bool = False,
    offline: bool = False,
    drained: bool = False,
    vm_capable: bool = True,
    tags: Sequence[str] = (),
) -> Doc:
    """A node; `free_memory` defaults to everything not reserved (no running instances),
    `spindles` is the spindle count (total spindles with exclusive storage)."""
    return {
        "offline": offline,
        "drained": drained,
        "group": group,
        "vm_capable": vm_capable,
        "ndparams": {"exclusive_storage": exclusive, "spindle_count": spindles},
        "tags": list(tags),
        "total_memory": memory,
        "reserved_memory": reserved_memory,
        "free_memory": int(memory) - reserved_memory if free_memory is None else free_memory,
        "total_disk": disk,
        "free_disk": int(disk) if free_disk is None else free_disk,
        "total_cpus": cpus,
        "reserved_cpus": reserved_cpus,
        "free_spindles": spindles if free_spindles is None else free_spindles,
        "total_spindles": spindles,
    }


def disk_space_total(template: str, sizes: Sequence[int]) -> int:
    """What Ganeti charges on each node holding the disks (`ComputeDiskSize`)."""
    if template in ("diskless", "blockdev"):
        return 0
    return sum(sizes) + (DRBD_META * len(sizes) if template == "drbd" else 0)


def _fields(
    memory: int,
    vcpus: int,
    disks: Sequence[int],
    template: str,
    spindle_use: int,
    spindles: int | None,
    tags: Sequence[str],
    networks: Sequence[str],
) -> Doc:
    """The instance fields shared by existing instances and requested ones."""
    return {
        "disk_space_total": disk_space_total(template, disks),
        "disks": [{"size": size, "mode": "rw", "spindles": spindles} for size in disks],
        "memory": memory,
        "vcpus": vcpus,
        "tags": list(tags),
        "disk_template": template,
        "spindle_use": spindle_use,
        "nics": [{"mac": None, "ip": None, "mode": "bridged", "link": "br0", "network": n} for n in networks]
        or [{"mac": None, "ip": None, "mode": "bridged", "link": "br0"}],
    }


def instance(
    nodes: Sequence[str],
    memory: int = 1024,
    vcpus: int = 1,
    disks: Sequence[int] = (1024,),
    template: str | None = None,
    spindle_use: int = 1,
    spindles: int | None = None,
    tags: Sequence[str] = (),
    networks: Sequence[str] = (),
    admin_state: str = "up",
) -> Doc:
    """An existing instance on `nodes` ([primary] or [primary, secondary]); the template
    defaults to drbd for two nodes and plain for one. `spindles` is set on every disk."""
    template = template or ("drbd" if len(nodes) == 2 else "plain")
    doc = _fields(memory, vcpus, disks, template, spindle_use, spindles, tags, networks)
    return doc | {"nodes": list(nodes), "admin_state": admin_state}


def entry(
    name: str = "new",
    memory: int = 1024,
    vcpus: int = 1,
    disks: Sequence[int] = (1024,),
    template: str = "plain",
    required_nodes: int | None = None,
    spindle_use: int = 1,
    spindles: int | None = None,
    tags: Sequence[str] = (),
    networks: Sequence[str] = (),
    group_name: str | None = None,
    restrict: Sequence[str] | None = None,
) -> Doc:
    """An instance to place (an allocate request or a multi-allocate entry); two nodes for
    drbd unless `required_nodes` says otherwise."""
    doc = _fields(memory, vcpus, disks, template, spindle_use, spindles, tags, networks)
    if required_nodes is None:
        required_nodes = 2 if template == "drbd" else 1
    doc |= {"name": name, "required_nodes": required_nodes}
    if group_name is not None:
        doc["group_name"] = group_name
    if restrict is not None:
        doc["restrict-to-nodes"] = list(restrict)
    return doc


def allocate(**kwargs: Any) -> Doc:
    """An `allocate` request; takes the arguments of `entry`."""
    return {"type": "allocate"} | entry(**kwargs)


def multi_allocate(*entries: Doc, group_name: str | None = None) -> Doc:
    req: Doc = {"type": "multi-allocate", "instances": list(entries)}
    if group_name is not None:
        req["group_name"] = group_name
    return req


def allocate_secondary(name: str) -> Doc:
    return {"type": "allocate-secondary", "name": name}


def document(
    nodes: dict[str, Doc],
    instances: dict[str, Doc] | None = None,
    request: Doc | None = None,
    groups: dict[str, Doc] | None = None,
    cluster_tags: Sequence[str] = (),
    hypervisor: str = "xen-pvm",
) -> Doc:
    """A whole input document; one group `default` (UUID `GROUP`) unless `groups` is given,
    and a small plain allocation unless `request` is given."""
    return {
        "version": 2,
        "cluster_name": "cluster.example.com",
        "cluster_tags": list(cluster_tags),
        "enabled_hypervisors": [hypervisor],
        "ipolicy": ipolicy(),
        "nodegroups": groups if groups is not None else {GROUP: group()},
        "nodes": nodes,
        "instances": instances or {},
        "request": request if request is not None else allocate(),
    }


def encode(doc: Doc) -> bytes:
    return json.dumps(doc).encode()


def cluster_of(doc: Doc, static_kvm_node_memory: int = 4096) -> Cluster:
    """The engine's model of a document, built as `answer` builds it."""
    return build_cluster(parse_document(encode(doc)), static_kvm_node_memory)


def idx(c: Cluster, *names: str) -> IntArray:
    """Node indices by name (all nodes when no name is given)."""
    return np.array([c.node_index[n] for n in names] if names else range(len(c.nodes)), dtype=np.int64)


def spec_of(c: Cluster, name: str) -> InstanceSpec:
    return c.instances.specs[c.instance_index[name]]


def run(doc: Doc, *params: str) -> Doc:
    """The decoded response of the engine to a document."""
    result: Doc = json.loads(answer(encode(doc), params).body)
    return result


def new_spec(c: Cluster, **kwargs: Any) -> InstanceSpec:
    """The engine's view of an instance to place (arguments of `entry`)."""
    req = entry(**kwargs)
    return request_spec(MultiAllocateEntry.model_validate(req), c)
