"""Seeded generator of realistic iallocator input documents, exactly as Ganeti 3.0's master
sends them (lib/masterd/iallocator.py): `generate(spec, seed)` builds the cluster, the
builders below add one request each and return a new document.

Builders share the nested objects of the document they are given (treat documents as
read-only) and expect one from `generate` or another builder with the default storage view.
Like Ganeti, they report node disk for the request's disk template: the volume group for
plain/drbd (and for requests without a template), the file storage directory for file, and
zeros for templates whose storage Ganeti does not report (diskless, rbd, ext, ...).
"""

from __future__ import annotations

import random
from collections import ChainMap
from collections.abc import Container
from typing import Any

from tests.support.cluster_gen import generate
from tests.support.cluster_spec import (
    DRBD_ONLY,
    EXCLUSION_PREFIX,
    LOCAL_TEMPLATES,
    SERVICES,
    ClusterSpec,
    Doc,
    TemplateMix,
    compute_disk_size,
    mixed,
    new_mac,
    new_uuid,
)

DEFAULT_VG = "xenvg"
EVAC_MODES = ("primary-only", "secondary-only", "all")


def storage_view(doc: Doc, template: str | None) -> Doc:
    """`doc` with node disk data as Ganeti reports it for requests of `template`."""
    if template is None or template in LOCAL_TEMPLATES:
        return doc
    file_used: dict[str, int] = {}
    if template == "file":
        for inst in doc["instances"].values():
            if inst["disk_template"] == "file":
                primary = inst["nodes"][0]
                file_used[primary] = file_used.get(primary, 0) + inst["disk_space_total"]
    nodes = {}
    for name, node in doc["nodes"].items():
        if "total_disk" in node:
            total = int(node["total_disk"]) // 4 if template == "file" else 0
            free = total - file_used.get(name, 0)
            node = node | {"total_disk": total, "free_disk": free, "total_spindles": 0, "free_spindles": 0}
        nodes[name] = node
    return doc | {"nodes": nodes}


def with_request(doc: Doc, request: dict[str, Any], template: str | None = None) -> Doc:
    """A new document: `doc` in the storage view of `template`, with `request`."""
    return storage_view(doc, template) | {"request": request}


def group_names(doc: Doc) -> list[str]:
    """Names of the groups that have nodes."""
    used = {node["group"] for node in doc["nodes"].values()}
    return [g["name"] for uuid, g in doc["nodegroups"].items() if uuid in used]


def cluster_networks(doc: Doc) -> list[str]:
    """Every network some group is connected to, in group order."""
    seen: dict[str, None] = {}
    for group in doc["nodegroups"].values():
        seen.update(dict.fromkeys(group["networks"]))
    return list(seen)


def _exclusive(doc: Doc, group_name: str | None) -> bool:
    groups = {n["group"] for n in doc["nodes"].values() if n["ndparams"]["exclusive_storage"]}
    return any(
        uuid in groups for uuid, g in doc["nodegroups"].items() if group_name in (None, g["name"], uuid)
    )


def instance_request(
    doc: Doc,
    rng: random.Random,
    template: str,
    name: str,
    group_name: str | None = None,
    network: str | None = None,
) -> dict[str, Any]:
    """A new instance as IAReqInstanceAlloc.GetRequest sends it, sized like an existing one."""
    models = list(doc["instances"].values())
    model: dict[str, Any] = {"memory": 1024, "vcpus": 1, "spindle_use": 1, "disks": []}
    if models:
        model = rng.choice(models)
    sizes = [d["size"] for d in model["disks"]] or [10240]
    if template == "diskless":
        sizes = []
    disks = []
    for size in sizes:
        disk: dict[str, Any] = {
            "size": size,
            "mode": "rw",
            "vg": DEFAULT_VG,
            "name": None,
            "dev_type": template,
        }
        if _exclusive(doc, group_name):
            disk["spindles"] = 1
        if template == "ext":
            disk["provider"] = "pvdr"
        disks.append(disk)
    nic: dict[str, Any] = {"mac": new_mac(rng), "nicparams": {}, "uuid": new_uuid(rng)}
    if network is not None:
        nic["network"] = network
    tags = []
    if f"htools:iextags:{EXCLUSION_PREFIX}" in doc["cluster_tags"] and rng.random() < 0.5:
        tags.append(f"{EXCLUSION_PREFIX}:{rng.choice(SERVICES)}")
    return {
        "name": name,
        "disk_template": template,
        "group_name": group_name,
        "tags": tags,
        "os": "debootstrap+default",
        "vcpus": model["vcpus"],
        "memory": model["memory"],
        "spindle_use": model["spindle_use"],
        "disks": disks,
        "disk_space_total": compute_disk_size(template, sizes),
        "nics": [nic],
        "required_nodes": 2 if template == "drbd" else 1,
        "hypervisor": doc["enabled_hypervisors"][0],
    }


def _new_name(taken: Container[str], rng: random.Random) -> str:
    while True:
        name = f"new{rng.randrange(10**6):06d}.example.com"
        if name not in taken:
            return name


def allocate_request(
    doc: Doc,
    rng: random.Random,
    template: str = "drbd",
    group_name: str | None = None,
    *,
    restrict_to_nodes: list[str] | None = None,
    network: str | None = None,
) -> Doc:
    """An `allocate` request for a new instance of `template`."""
    request = instance_request(doc, rng, template, _new_name(doc["instances"], rng), group_name, network)
    request["type"] = "allocate"
    if restrict_to_nodes is not None:
        request["restrict-to-nodes"] = list(restrict_to_nodes)
    return with_request(doc, request, template)


def multi_allocate_request(
    doc: Doc,
    rng: random.Random,
    n: int,
    templates: tuple[str, ...] = ("drbd",),
    *,
    per_entry_groups: bool = False,
) -> Doc:
    """A `multi-allocate` request of `n` instances; with `per_entry_groups` each entry names a
    random group (Ganeti sends the entry's group_name; hail ignores it)."""
    entries: list[dict[str, Any]] = []
    for _ in range(n):
        group = rng.choice(group_names(doc)) if per_entry_groups else None
        name = _new_name(ChainMap(doc["instances"], {e["name"]: e for e in entries}), rng)
        entries.append(instance_request(doc, rng, rng.choice(templates), name, group))
    return with_request(doc, {"instances": entries, "type": "multi-allocate"})


def _instances(doc: Doc, templates: tuple[str, ...]) -> list[str]:
    return [name for name, inst in doc["instances"].items() if inst["disk_template"] in templates]


def relocate_request(doc: Doc, rng: random.Random, name: str | None = None) -> Doc:
    """A `relocate` request (IAReqRelocate): a DRBD instance's secondary, or a shared-storage
    instance's primary. Ganeti never sends one for plain or file instances."""
    mirrored = ("drbd", "diskless", "sharedfile", "blockdev", "rbd", "ext", "gluster")
    name = name if name is not None else rng.choice(_instances(doc, mirrored))
    inst = doc["instances"][name]
    template = inst["disk_template"]
    request = {
        "name": name,
        "disk_space_total": compute_disk_size(template, [d["size"] for d in inst["disks"]]),
        "required_nodes": 1,
        "relocate_from": [inst["nodes"][1] if template == "drbd" else inst["nodes"][0]],
        "type": "relocate",
    }
    return with_request(doc, request, template)


def _node_roles(doc: Doc) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    primaries: dict[str, list[str]] = {}
    secondaries: dict[str, list[str]] = {}
    for name, inst in doc["instances"].items():
        primaries.setdefault(inst["nodes"][0], []).append(name)
        for node in inst["nodes"][1:2]:
            secondaries.setdefault(node, []).append(name)
    return primaries, secondaries


def node_evacuate_request(doc: Doc, rng: random.Random, mode: str = "all", node: str | None = None) -> Doc:
    """A `node-evacuate` request for the instances of one node, as LUNodeEvacuate sends it."""
    primaries, secondaries = _node_roles(doc)
    order = {name: k for k, name in enumerate(doc["instances"])}

    def instances_of(n: str) -> list[str]:
        if mode == "primary-only":
            return primaries.get(n, [])
        if mode == "secondary-only":
            return secondaries.get(n, [])
        return sorted(primaries.get(n, []) + secondaries.get(n, []), key=order.__getitem__)

    if node is None:
        node = rng.choice([n for n in doc["nodes"] if instances_of(n)])
    request = {"instances": instances_of(node), "evac_mode": mode, "type": "node-evacuate"}
    return with_request(doc, request)


def change_group_request(
    doc: Doc, rng: random.Random, count: int = 2, target_groups: list[str] | None = None
) -> Doc:
    """A `change-group` request for up to `count` instances of one group; `target_groups`
    defaults to either [] or one other group's UUID."""
    by_group: dict[str, list[str]] = {}
    for name, inst in doc["instances"].items():
        by_group.setdefault(doc["nodes"][inst["nodes"][0]]["group"], []).append(name)
    source = rng.choice(sorted(by_group))
    chosen = rng.sample(by_group[source], min(count, len(by_group[source])))
    if target_groups is None:
        others = [uuid for uuid in doc["nodegroups"] if uuid != source]
        target_groups = [rng.choice(others)] if others and rng.random() < 0.5 else []
    request = {"instances": chosen, "target_groups": target_groups, "type": "change-group"}
    return with_request(doc, request)


def allocate_secondary_request(doc: Doc, rng: random.Random, name: str | None = None) -> Doc:
    """An `allocate-secondary` request (plain -> drbd conversion) for a plain instance."""
    name = name if name is not None else rng.choice(_instances(doc, ("plain",)))
    return with_request(doc, {"name": name, "type": "allocate-secondary"})


def multi_evacuate_request(doc: Doc, rng: random.Random, node: str | None = None) -> Doc:
    """A Ganeti 2.4 `multi-evacuate` request (new secondaries for one node's DRBD instances).
    hail refuses this type."""
    _, secondaries = _node_roles(doc)
    node = node if node is not None else rng.choice(sorted(secondaries))
    return with_request(doc, {"evac_nodes": [node], "type": "multi-evacuate"})


__all__ = [
    "DRBD_ONLY",
    "EVAC_MODES",
    "ClusterSpec",
    "Doc",
    "TemplateMix",
    "allocate_request",
    "allocate_secondary_request",
    "change_group_request",
    "cluster_networks",
    "compute_disk_size",
    "generate",
    "group_names",
    "instance_request",
    "mixed",
    "multi_allocate_request",
    "multi_evacuate_request",
    "node_evacuate_request",
    "relocate_request",
    "storage_view",
    "with_request",
]
