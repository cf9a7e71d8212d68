"""Validity of node-evacuate and change-group answers ([moved, failed, jobs], ALGORITHM.md
5.4, 5.5): every requested instance is moved or failed once, each job really leads to the
reported nodes, targets are eligible and in the right group, evacuated nodes are left."""

from __future__ import annotations

from typing import Any

from tests.support.ledger import Ledger, check_node, check_one_group, fail, group_of

Doc = dict[str, Any]


def _replay(inst: dict[str, Any], name: str, job: Any, what: str) -> list[str]:
    """The instance's nodes after running `job` (a list of opcodes)."""
    nodes = list(inst["nodes"][:2])
    if not isinstance(job, list) or not job:
        fail(f"{what}: a job must be a non-empty list of opcodes, got {job!r}")
    for op in job:
        if not isinstance(op, dict) or op.get("instance_name") != name:
            fail(f"{what}: opcode {op!r} is not about instance {name}")
        op_id, target = op.get("OP_ID"), op.get("target_node")
        if op_id in ("OP_INSTANCE_MIGRATE", "OP_INSTANCE_FAILOVER"):
            if len(nodes) == 2 and target in (None, nodes[1]):
                nodes.reverse()
            elif len(nodes) == 1 and target is not None:
                nodes[0] = target
            else:
                fail(f"{what}: {op_id} with target_node {target!r} on nodes {nodes}")
        elif op_id == "OP_INSTANCE_REPLACE_DISKS":
            remote = op.get("remote_node")
            if op.get("mode") != "replace_new_secondary" or len(nodes) != 2 or remote in (None, nodes[0]):
                fail(f"{what}: cannot replace the secondary of {nodes} with {op!r}")
            nodes[1] = remote
        else:
            fail(f"{what}: unexpected opcode {op_id!r}")
    return nodes


def _evacuated(doc: Doc, req: dict[str, Any]) -> set[str]:
    """The nodes node-evacuate empties (5.4): primaries, DRBD secondaries, or both."""
    mode, nodes = req["evac_mode"], set()
    for name in req["instances"]:
        inst = doc["instances"][name]
        if mode in ("primary-only", "all"):
            nodes.add(inst["nodes"][0])
        if mode in ("secondary-only", "all") and inst["disk_template"] == "drbd":
            nodes.update(inst["nodes"][1:2])
    return nodes


def _check_mode(inst: dict[str, Any], nodes: list[str], mode: str, evacuated: set[str], what: str) -> None:
    old = inst["nodes"]
    if mode == "primary-only" and nodes[0] in evacuated:
        fail(f"{what}: new primary {nodes[0]} is being evacuated")
    if mode == "secondary-only":
        if inst["disk_template"] != "drbd":
            fail(f"{what}: only DRBD instances have a secondary to move")
        if nodes[0] != old[0] or nodes[1] in evacuated:
            fail(f"{what}: secondary-only must keep primary {old[0]} and avoid {sorted(evacuated)}: {nodes}")
    if mode == "all" and evacuated & set(nodes):
        fail(f"{what}: nodes {nodes} include evacuated {sorted(evacuated & set(nodes))}")


def _target_groups(doc: Doc, targets: list[str]) -> set[str]:
    return {uuid for uuid, g in doc["nodegroups"].items() if uuid in targets or g["name"] in targets}


def check_evacuation(doc: Doc, req: dict[str, Any], result: Any, ledger: Ledger) -> None:
    """Raise AssertionError unless `result` is a valid node-evacuate / change-group result."""
    kind = req["type"]
    if not (isinstance(result, list) and len(result) == 3):
        fail(f"{kind}: result must be [moved, failed, jobs], got {result!r}")
    moved, failed, jobs = result
    names = [m[0] for m in moved] + [f[0] for f in failed]
    if sorted(names) != sorted(req["instances"]):
        fail(f"{kind}: moved + failed {names} must be the requested instances {req['instances']} once each")
    if len(jobs) != len(moved):
        fail(f"{kind}: {len(jobs)} jobs for {len(moved)} moved instances")
    evacuated = _evacuated(doc, req) if kind == "node-evacuate" else set()
    sources = {group_of(doc, doc["instances"][i]["nodes"][0]) for i in req["instances"]}
    targets = _target_groups(doc, req.get("target_groups") or [])
    for (name, group_name, nodes), job in zip(moved, jobs, strict=True):
        inst, what = doc["instances"][name], f"{kind} {name}"
        final = _replay(inst, name, job, what)
        if final != nodes:
            fail(f"{what}: its job leads to {final}, the answer says {nodes}")
        if len(nodes) != (2 if inst["disk_template"] == "drbd" else 1):
            fail(f"{what}: wrong number of nodes for {inst['disk_template']}: {nodes}")
        group = check_one_group(doc, nodes, what)
        if doc["nodegroups"][group]["name"] != group_name:
            fail(f"{what}: reported group {group_name!r}, nodes are in {doc['nodegroups'][group]['name']!r}")
        for node in nodes:
            if node not in inst["nodes"]:
                check_node(doc, node, what)
        if doc["nodes"][nodes[0]].get("offline"):
            fail(f"{what}: new primary {nodes[0]} is offline")
        if kind == "node-evacuate":
            if group != group_of(doc, inst["nodes"][0]):
                fail(f"{what}: node-evacuate must stay in the instance's group, got {nodes}")
            _check_mode(inst, nodes, req["evac_mode"], evacuated, what)
        elif group in sources or (targets and group not in targets):
            fail(f"{what}: group {group_name} is a source group or not among the targets")
        ledger.move(inst, nodes, what)
