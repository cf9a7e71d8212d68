"""Example bodies for the OpenAPI page: a small allocation request in the form Ganeti sends it."""

from __future__ import annotations

from typing import Any

ALLOCATE_REQUEST: dict[str, Any] = {
    "version": 2,
    "cluster_name": "cluster1.example.com",
    "cluster_tags": [],
    "enabled_hypervisors": ["kvm"],
    "ipolicy": {
        "std": {
            "nic-count": 1,
            "disk-size": 1024,
            "memory-size": 128,
            "cpu-count": 1,
            "disk-count": 1,
            "spindle-use": 1,
        },
        "minmax": [
            {
                "min": {
                    "nic-count": 1,
                    "disk-size": 1024,
                    "memory-size": 128,
                    "cpu-count": 1,
                    "disk-count": 1,
                    "spindle-use": 1,
                },
                "max": {
                    "nic-count": 8,
                    "disk-size": 1048576,
                    "memory-size": 32768,
                    "cpu-count": 8,
                    "disk-count": 16,
                    "spindle-use": 8,
                },
            }
        ],
        "vcpu-ratio": 4.0,
        "disk-templates": ["sharedfile", "diskless", "plain", "blockdev", "drbd", "file", "rbd"],
        "spindle-ratio": 32.0,
    },
    "nodegroups": {
        "uuid-group-1": {
            "ipolicy": {
                "std": {
                    "nic-count": 1,
                    "disk-size": 1024,
                    "memory-size": 128,
                    "cpu-count": 1,
                    "disk-count": 1,
                    "spindle-use": 1,
                },
                "minmax": [
                    {
                        "min": {
                            "nic-count": 1,
                            "disk-size": 1024,
                            "memory-size": 128,
                            "cpu-count": 1,
                            "disk-count": 1,
                            "spindle-use": 1,
                        },
                        "max": {
                            "nic-count": 8,
                            "disk-size": 1048576,
                            "memory-size": 32768,
                            "cpu-count": 8,
                            "disk-count": 16,
                            "spindle-use": 8,
                        },
                    }
                ],
                "vcpu-ratio": 4.0,
                "disk-templates": ["sharedfile", "diskless", "plain", "blockdev", "drbd", "file", "rbd"],
                "spindle-ratio": 32.0,
            },
            "networks": [],
            "alloc_policy": "preferred",
            "tags": [],
            "name": "default",
        }
    },
    "nodes": {
        "node1.example.com": {
            "total_disk": 1377280,
            "total_cpus": 4,
            "group": "uuid-group-1",
            "secondary_ip": "192.168.2.1",
            "i_pri_up_memory": 0,
            "tags": [],
            "master_candidate": True,
            "free_memory": 31389,
            "ndparams": {"spindle_count": 1, "oob_program": None, "exclusive_storage": False},
            "reserved_memory": 1017,
            "reserved_cpus": 1,
            "master_capable": True,
            "free_disk": 1377280,
            "drained": False,
            "total_memory": 32763,
            "primary_ip": "192.168.1.1",
            "i_pri_memory": 0,
            "free_spindles": 12,
            "total_spindles": 12,
            "vm_capable": True,
            "offline": False,
        },
        "node2.example.com": {
            "total_disk": 1377280,
            "total_cpus": 4,
            "group": "uuid-group-1",
            "secondary_ip": "192.168.2.2",
            "i_pri_up_memory": 0,
            "tags": [],
            "master_candidate": True,
            "free_memory": 31746,
            "ndparams": {"spindle_count": 1, "oob_program": None, "exclusive_storage": False},
            "reserved_memory": 1017,
            "reserved_cpus": 1,
            "master_capable": True,
            "free_disk": 1376640,
            "drained": False,
            "total_memory": 32763,
            "primary_ip": "192.168.1.2",
            "i_pri_memory": 0,
            "free_spindles": 12,
            "total_spindles": 12,
            "vm_capable": True,
            "offline": False,
        },
    },
    "instances": {},
    "request": {
        "disks": [{"spindles": 1, "mode": "rw", "size": 1024}],
        "required_nodes": 2,
        "name": "web1.example.com",
        "tags": [],
        "hypervisor": "kvm",
        "disk_space_total": 1024,
        "nics": [{"ip": None, "mac": "00:11:22:33:44:55", "bridge": None}],
        "vcpus": 1,
        "spindle_use": 1,
        "os": "instance-debootstrap",
        "disk_template": "drbd",
        "memory": 1024,
        "type": "allocate",
    },
}

ALLOCATE_ANSWER: dict[str, Any] = {
    "success": True,
    "info": "Request successful: Selected group: default, Group score: 3.6",
    "result": ["node1.example.com", "node2.example.com"],
}
