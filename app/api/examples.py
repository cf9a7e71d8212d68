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

_NODE = ALLOCATE_REQUEST["nodes"]["node2.example.com"]
# node-evacuate of web1's secondary (node2): node3 and node5 (half full) have room, node4 is short of memory.
EVACUATE_REQUEST: dict[str, Any] = ALLOCATE_REQUEST | {
    "nodes": ALLOCATE_REQUEST["nodes"]
    | {
        "node3.example.com": _NODE | {"secondary_ip": "192.168.2.3", "primary_ip": "192.168.1.3"},
        "node4.example.com": _NODE
        | {"secondary_ip": "192.168.2.4", "primary_ip": "192.168.1.4", "free_memory": 512},
        "node5.example.com": _NODE
        | {"secondary_ip": "192.168.2.5", "primary_ip": "192.168.1.5", "free_disk": 688640},
    },
    "instances": {
        "web1.example.com": {
            "nodes": ["node1.example.com", "node2.example.com"],
            "disk_template": "drbd",
            "disks": [{"size": 1024, "mode": "rw", "spindles": 1}],
            "disk_space_total": 1152,
            "memory": 1024,
            "vcpus": 1,
            "spindle_use": 1,
            "tags": [],
            "admin_state": "up",
            "hypervisor": "kvm",
            "os": "instance-debootstrap",
            "nics": [{"ip": None, "mac": "00:11:22:33:44:55", "bridge": None}],
        }
    },
    "request": {"type": "node-evacuate", "instances": ["web1.example.com"], "evac_mode": "secondary-only"},
}
WHEN = "2026-01-31T12:00:00Z"
TOKEN: dict[str, Any] = {"id": "Xb3kP9qA", "created": WHEN}
NEW_TOKEN: dict[str, Any] = {
    "cluster": "cluster1.example.com",
    "id": "Xb3kP9qA",
    "token": "iad_Xb3kP9qAzT0vQ1mR7sL2nW8cY4dF6gH5jK3pB9xE0uV",
}
CLUSTER: dict[str, Any] = {
    "name": "cluster1.example.com",
    "created": WHEN,
    "policy": {"params": ["--no-capacity-checks"]},
    "tokens": [TOKEN],
    "decisions": 42,
    "last_decision": WHEN,
}
CLUSTER_STATE: dict[str, Any] = {
    "updated": WHEN,
    "decision_id": "5f0c3b9e8d7a4c2b9e1f0a6d3c8b7e21",
    "score_before": 3.61,
    "score_after": 3.58,
    "summary": {
        "nodes": 2,
        "instances": 0,
        "groups": [
            {
                "uuid": "uuid-group-1",
                "name": "default",
                "alloc_policy": "preferred",
                "nodes": 2,
                "offline": 0,
                "drained": 0,
                "total_memory": 65526,
                "free_memory": 63135,
                "total_disk": 2754560,
                "free_disk": 2753920,
            }
        ],
    },
}
DECISION: dict[str, Any] = {
    "id": "5f0c3b9e8d7a4c2b9e1f0a6d3c8b7e21",
    "time": WHEN,
    "cluster": "cluster1.example.com",
    "request_id": "6a1d0c7f2b3e4d5c8f9a0b1c2d3e4f50",
    "request_type": "allocate",
    "instances": ["web1.example.com"],
    "nodes": ["node1.example.com", "node2.example.com"],
    "success": True,
    "info": ALLOCATE_ANSWER["info"],
    "params": ["--ignore-soft-errors"],
    "defaults": ["--no-capacity-checks"],
    "warnings": [],
    "score_before": 3.61,
    "score_after": 3.58,
    "engine_version": "0.1.0",
    "latency_ms": 41.7,
    "engine_seconds": 0.013,
    "document_sha256": "4a39c7b0fb63e0d1d272240c5e482f430f41739dc04520a76fdd5a5bdc19c289",
    "document_size": 12208,
    "document_kept": True,
}
ERROR: dict[str, Any] = {
    "error": "bad_document",
    "detail": [{"loc": "request.memory", "msg": "field required"}],
}
# POST /clusters/{name}/explain of ALLOCATE_REQUEST with ?top=3 (two nodes: two pairs).
EXPLAIN: dict[str, Any] = {
    "request_type": "allocate",
    "answer": {
        "success": True,
        "info": "Request successful: Selected group: default, Group default (preferred): score: 1.66157669,"
        " successes 2, failures 0 () for node(s) node2.example.com/node1.example.com",
        "result": ["node2.example.com", "node1.example.com"],
    },
    "candidates": [
        {
            "instance": "web1.example.com",
            "nodes": ["node2.example.com", "node1.example.com"],
            "group": "default",
            "score": 1.6615766938677226,
            "global_n1": "passed",
        },
        {
            "instance": "web1.example.com",
            "nodes": ["node1.example.com", "node2.example.com"],
            "group": "default",
            "score": 1.667024912895285,
            "global_n1": "not checked",
        },
    ],
    "rejected": {
        "web1.example.com": {
            "nodes": {},
            "secondary": {},
            "global_n1": 0,
            "global_n1_candidates": [],
        }
    },
    "moves": [],
    "warnings": [],
}
# POST /clusters/{name}/explain of EVACUATE_REQUEST with ?top=3.
EXPLAIN_EVACUATE: dict[str, Any] = {
    "request_type": "node-evacuate",
    "answer": {
        "success": True,
        "info": "Request successful: 0 instances failed to move and 1 were moved successfully",
        "result": [
            [["web1.example.com", "default", ["node1.example.com", "node3.example.com"]]],
            [],
            [
                [
                    {
                        "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
                        "instance_name": "web1.example.com",
                        "early_release": False,
                        "ignore_ipolicy": False,
                        "mode": "replace_new_secondary",
                        "disks": [],
                        "remote_node": "node3.example.com",
                    }
                ]
            ],
        ],
    },
    "candidates": [],
    "rejected": {
        "web1.example.com": {
            "nodes": {
                "node1.example.com": {
                    "group": "default",
                    "code": None,
                    "constraint": "the instance's primary",
                },
                "node2.example.com": {
                    "group": "default",
                    "code": None,
                    "constraint": "evacuated by the request",
                },
                "node4.example.com": {
                    "group": "default",
                    "code": "FailMem",
                    "constraint": "memory (incl. N+1 reservation)",
                },
            },
            "secondary": {},
            "global_n1": 0,
            "global_n1_candidates": [],
        }
    },
    "moves": [
        {
            "instance": "web1.example.com",
            "mode": "secondary-only",
            "moved": True,
            "attempts": 1,
            "error": None,
            "why": None,
            "candidates": [
                {
                    "instance": "web1.example.com",
                    "kind": "replace_secondary",
                    "nodes": ["node1.example.com", "node3.example.com"],
                    "group": "default",
                    "score": 2.3859329055188967,
                },
                {
                    "instance": "web1.example.com",
                    "kind": "replace_secondary",
                    "nodes": ["node1.example.com", "node5.example.com"],
                    "group": "default",
                    "score": 2.386350585816695,
                },
            ],
            "group_choice": [],
        }
    ],
    "warnings": [],
}


CAPACITY_REQUEST: dict[str, Any] = {
    "instance": {"memory": 4096, "vcpus": 2, "disk_template": "drbd", "disks": [{"size": 20480}]},
    "max": 1000,
}
# The same count in a document of the caller's own (what-if).
CAPACITY_WHAT_IF: dict[str, Any] = CAPACITY_REQUEST | {"document": ALLOCATE_REQUEST}
_STOP: dict[str, Any] = {
    "code": "FailMem",
    "reason": "memory (incl. N+1 reservation)",
    "counts": {"FailMem": 2},
}
# CAPACITY_REQUEST in the state of ALLOCATE_REQUEST.
CAPACITY: dict[str, Any] = {
    "cluster": "cluster1.example.com",
    "state": {"source": "kept", "decision_id": DECISION["id"], "updated": WHEN},
    "instance": {
        "memory": 4096,
        "vcpus": 2,
        "disk_template": "drbd",
        "disks": [{"size": 20480, "spindles": None}],
        "spindle_use": 1,
        "disk_space_total": 20608,
        "required_nodes": 2,
    },
    "count": 6,
    "capped": False,
    "capped_by": None,
    "max": 1000,
    "stop": _STOP,
    "info": "Request failed: Group default (preferred): No valid allocation solutions, failure reasons:"
    " FailMem: 2",
    "groups": [{"group": "default", "alloc_policy": "preferred", "count": 6, "stop": _STOP}],
    "score_before": 0.002956451521215736,
    "score_after": 0.19048506611694874,
    "warnings": [],
}
_STD_ROOM: dict[str, Any] = {
    "instance": {
        "memory": 1024,
        "vcpus": 1,
        "disk_template": "drbd",
        "disks": [{"size": 1024, "spindles": None}],
        "spindle_use": 1,
        "disk_space_total": 1152,
        "required_nodes": 2,
    },
    "count": 21,
    "capped": False,
    "capped_by": None,
    "stop": {"code": "FailN1", "reason": "N+1 (memory for failover)", "counts": {"FailN1": 4, "FailMem": 2}},
    "info": "Request failed: Group default (preferred): No valid allocation solutions, failure reasons:"
    " FailN1: 4, FailMem: 2",
    "groups": [
        {
            "group": "default",
            "alloc_policy": "preferred",
            "count": 21,
            "stop": {"code": "FailN1", "reason": "N+1 (memory for failover)", "counts": {"FailN1": 4}},
        }
    ],
    "score_before": 0.19048506611694874,
    "score_after": 0.8812230381541133,
}
GROUPS: dict[str, Any] = {
    "cluster": "cluster1.example.com",
    "state": {"source": "kept", "decision_id": DECISION["id"], "updated": WHEN},
    "nodes": 3,
    "instances": 1,
    "groups": [
        {
            "uuid": "uuid-group-1",
            "name": "default",
            "alloc_policy": "preferred",
            "nodes": 3,
            "offline": 0,
            "drained": 1,
            "total_memory": 98304,
            "free_memory": 61440,
            "reserved_memory": 4096,
            "total_disk": 3145728,
            "free_disk": 3124128,
            "total_cpus": 24,
            "used_vcpus": 5,
            "max_vcpus": 96,
            "total_spindles": 0,
            "free_spindles": 0,
            "failing_n1": 0,
            "offline_nodes": [],
            "drained_nodes": ["node3.example.com"],
            "standard": _STD_ROOM,
            "failing_n1_nodes": [],
        }
    ],
    "probe": None,
    "warnings": [],
}
HISTORY: dict[str, Any] = {
    "cluster": "cluster1.example.com",
    "since": "2026-11-24T08:00:00Z",
    "hours": [{"start": "2026-11-25T08:00:00Z", "decisions": 3, "failed": 1}],
    "states": [
        {
            "time": WHEN,
            "decision_id": DECISION["id"],
            "free_memory": 61440,
            "total_memory": 98304,
            "free_disk": 3124128,
            "total_disk": 3145728,
            "failing_n1": 0,
        }
    ],
}

BALANCE: dict[str, Any] = {
    "cluster": "cluster1.example.com",
    "groups": [
        {
            "group": "default",
            "initial_score": 4.491543496303929,
            "final_score": 1.5381278819997717,
            "optimal_score": 0.0150264345920956,
            "stop": "max-length",
            "steps": [
                {
                    "instance": "inst00008.example.com",
                    "move": "replace_and_failover",
                    "short": "r:node0000.example.com f",
                    "from": ["node0004.example.com", "node0002.example.com"],
                    "to": ["node0000.example.com", "node0004.example.com"],
                    "score": 3.1665530676168037,
                    "commands": [
                        "gnt-instance replace-disks -n node0000.example.com inst00008.example.com",
                        "gnt-instance migrate -f inst00008.example.com",
                    ],
                },
                {
                    "instance": "inst00007.example.com",
                    "move": "replace_and_failover",
                    "short": "r:node0005.example.com f",
                    "from": ["node0004.example.com", "node0007.example.com"],
                    "to": ["node0005.example.com", "node0004.example.com"],
                    "score": 1.5381278819997717,
                    "commands": [
                        "gnt-instance replace-disks -n node0005.example.com inst00007.example.com",
                        "gnt-instance migrate -f inst00007.example.com",
                    ],
                },
            ],
            "jobsets": [
                [
                    [
                        {
                            "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
                            "instance_name": "inst00008.example.com",
                            "early_release": False,
                            "ignore_ipolicy": False,
                            "mode": "replace_new_secondary",
                            "disks": [],
                            "remote_node": "node0000.example.com",
                        },
                        {
                            "OP_ID": "OP_INSTANCE_MIGRATE",
                            "instance_name": "inst00008.example.com",
                            "allow_runtime_changes": False,
                            "ignore_ipolicy": False,
                            "cleanup": False,
                            "allow_failover": True,
                            "ignore_hvversions": True,
                        },
                    ]
                ],
                [
                    [
                        {
                            "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
                            "instance_name": "inst00007.example.com",
                            "early_release": False,
                            "ignore_ipolicy": False,
                            "mode": "replace_new_secondary",
                            "disks": [],
                            "remote_node": "node0005.example.com",
                        },
                        {
                            "OP_ID": "OP_INSTANCE_MIGRATE",
                            "instance_name": "inst00007.example.com",
                            "allow_runtime_changes": False,
                            "ignore_ipolicy": False,
                            "cleanup": False,
                            "allow_failover": True,
                            "ignore_hvversions": True,
                        },
                    ]
                ],
            ],
        }
    ],
    "moves": 2,
    "seconds": 0.041,
    "warnings": [],
}
