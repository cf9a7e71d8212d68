"""A small valid iallocator document for the protocol tests (three nodes, two instances)."""

from __future__ import annotations

import json
from typing import Any

import pytest

ISPEC = {
    "memory-size": 128,
    "cpu-count": 1,
    "disk-size": 1024,
    "disk-count": 1,
    "nic-count": 1,
    "spindle-use": 1,
}
NODE = {
    "offline": False,
    "drained": False,
    "group": "uuid-1",
    "vm_capable": True,
    "ndparams": {"exclusive_storage": False, "spindle_count": 1},
    "tags": [],
    "total_memory": 32768,
    "reserved_memory": 1024,
    "free_memory": 30000,
    "total_disk": 1048576,
    "free_disk": 1000000,
    "total_cpus": 8,
    "reserved_cpus": 1,
    "free_spindles": 12,
    "total_spindles": 12,
}
INSTANCE = {
    "disk_space_total": 1152,
    "disks": [{"mode": "rw", "size": 1024, "spindles": None}],
    "memory": 1024,
    "vcpus": 1,
    "tags": [],
    "disk_template": "drbd",
    "spindle_use": 1,
    "nics": [{"mac": "aa:00:00:00:00:01", "ip": None, "mode": "bridged", "link": "br0", "bridge": "br0"}],
    "admin_state": "up",
}
DOCUMENT: dict[str, Any] = {
    "version": 2,
    "cluster_name": "cluster1",
    "cluster_tags": [],
    "enabled_hypervisors": ["xen-pvm"],
    "ipolicy": {},
    "nodegroups": {
        "uuid-1": {
            "name": "default",
            "alloc_policy": "preferred",
            "networks": [],
            "tags": [],
            "ipolicy": {
                "minmax": [{"min": ISPEC, "max": {k: v * 64 for k, v in ISPEC.items()}}],
                "std": ISPEC,
                "disk-templates": ["drbd", "plain"],
                "vcpu-ratio": 4.0,
                "spindle-ratio": 32.0,
            },
        }
    },
    "nodes": {"node1": NODE, "node2": NODE, "node3": NODE},
    "instances": {
        "inst1": {**INSTANCE, "nodes": ["node1", "node2"]},
        "inst2": {**INSTANCE, "disk_template": "plain", "disk_space_total": 1024, "nodes": ["node3"]},
    },
    "request": {
        "type": "allocate",
        "name": "new1",
        "required_nodes": 2,
        **{k: v for k, v in INSTANCE.items() if k != "admin_state"},
    },
}


@pytest.fixture
def doc() -> dict[str, Any]:
    """A fresh copy of DOCUMENT that a test may change (a JSON round trip, so nothing is shared)."""
    result: dict[str, Any] = json.loads(json.dumps(DOCUMENT))
    return result
