"""What tests.support.gen generates: ClusterSpec, template mixes and Ganeti's constants and
formulas (ComputeDiskSize, IPOLICY_DEFAULTS). Import from tests.support.gen."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

LOCAL_TEMPLATES = ("plain", "drbd")
ALL_TEMPLATES = ("blockdev", "diskless", "drbd", "ext", "file", "gluster", "plain", "rbd", "sharedfile")
DRBD_META_SIZE = 128
SERVICES = ("web", "db", "dns", "mail", "cache", "lb")
EXCLUSION_PREFIX = "svc"
LOCATION_PREFIX = "rack"

Doc = dict[str, Any]
TemplateMix = tuple[tuple[str, float], ...]

DRBD_ONLY: TemplateMix = (("drbd", 1.0),)


def mixed(plain: float = 0.3, others: float = 0.08) -> TemplateMix:
    """DRBD with a `plain` fraction and a few diskless/ext/rbd/file instances (`others` in all)."""
    each = others / 4
    return (
        ("drbd", 1.0 - plain - others),
        ("plain", plain),
        ("diskless", each),
        ("ext", each),
        ("rbd", each),
        ("file", each),
    )


@dataclass(frozen=True)
class ClusterSpec:
    """What kind of cluster to generate; fractions are of nodes or of instances."""

    nodes: int = 12
    groups: int = 1
    instances_per_node: float = 6.0  # primaries per vm-capable node; the benchmarks use 18
    fill: float = 0.5  # target share of node memory and disk used by instances
    templates: TemplateMix = DRBD_ONLY
    offline: float = 0.0
    offline_instances: bool = False  # offline nodes still hold instances (a failed node)
    drained: float = 0.0
    non_vm_capable: float = 0.0
    down: float = 0.1  # instances admin down (a quarter of them admin offline instead)
    hypervisor: str = "xen-pvm"
    exclusion_tags: bool = False  # cluster tag htools:iextags:svc, instance tags svc:<service>
    location_tags: bool = False  # cluster tag htools:nlocation:rack, node tags rack:<rack>
    exclusive_storage_groups: int = 0  # the last N groups use exclusive storage
    spindle_count: int = 4  # ndparams spindle_count of nodes without exclusive storage
    varied_ipolicies: bool = False  # per-group vcpu-ratio, spindle-ratio, minmax, templates
    last_resort_groups: int = 0  # alloc_policy of the last groups (after the unallocable ones)
    unallocable_groups: int = 0
    networks: int = 0  # networks; each group is connected to a random non-empty subset
    cluster_name: str = "cluster.example.com"

    @property
    def kind(self) -> str:
        """Short label of the template mix, for test ids: `drbd` or `mixed`."""
        return "drbd" if dict(self.templates) == {"drbd": 1.0} else "mixed"

    @property
    def label(self) -> str:
        return f"{self.nodes}n-{self.groups}g-{self.kind}"


def compute_disk_size(template: str, sizes: list[int]) -> int:
    """Ganeti's ComputeDiskSize: DRBD adds its metadata per disk, diskless/blockdev use none."""
    if template in ("diskless", "blockdev"):
        return 0
    extra = DRBD_META_SIZE if template == "drbd" else 0
    return sum(size + extra for size in sizes)


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_mac(rng: random.Random) -> str:
    return "aa:00:00:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def ispec(mem: int, cpu: int, dsize: int, dcount: int, nics: int, spindles: int) -> dict[str, int]:
    return {
        "cpu-count": cpu,
        "disk-count": dcount,
        "disk-size": dsize,
        "memory-size": mem,
        "nic-count": nics,
        "spindle-use": spindles,
    }


def default_ipolicy() -> dict[str, Any]:
    """Ganeti 3.0's IPOLICY_DEFAULTS."""
    return {
        "disk-templates": list(ALL_TEMPLATES),
        "minmax": [{"max": ispec(32768, 8, 1048576, 16, 8, 12), "min": ispec(128, 1, 1024, 1, 1, 1)}],
        "spindle-ratio": 32.0,
        "std": ispec(128, 1, 1024, 1, 1, 1),
        "vcpu-ratio": 4.0,
    }
