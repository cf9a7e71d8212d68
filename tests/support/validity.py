"""An independent check that an iallocator answer is a valid placement (never imports app).

`check_answer(doc, response, params)` raises AssertionError naming the first broken rule:
chosen nodes must exist, be online, not drained, vm_capable, distinct and in one group (the
requested one, within the allowed nodes, away from evacuated nodes); after applying every
placement or move, memory and local disk must stay above zero on the receiving nodes
(ALGORITHM.md 1.3, 3.3); allocations must satisfy the group ipolicy and networks (3.2, 7.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.support.evacuation import check_evacuation
from tests.support.ledger import Ledger, check_node, check_one_group, fail, group_of, kvm_reserved_memory

Doc = dict[str, Any]


def _option(params: Sequence[str], name: str) -> str | None:
    for param in params:
        if param.startswith(f"--{name}="):
            return param.split("=", 1)[1]
    return None


def _check_policy(doc: Doc, inst: dict[str, Any], primary: str, what: str) -> None:
    """ALGORITHM.md 3.2 (min/max specs, disk template) and 7.3 (networks), against the policy
    of the primary's group."""
    gdata = doc["nodegroups"][group_of(doc, primary)]
    policy, template = gdata["ipolicy"], inst["disk_template"]
    if template not in policy["disk-templates"]:
        fail(f"{what}: template {template} not allowed by group {gdata['name']} ({policy['disk-templates']})")
    exclusive = doc["nodes"][primary]["ndparams"].get("exclusive_storage")
    sizes = [d["size"] for d in inst["disks"]]
    spindles = sum(d.get("spindles") or 0 for d in inst["disks"]) if exclusive else inst["spindle_use"]
    values = {
        "memory-size": [inst["memory"]],
        "disk-size": sizes,
        "cpu-count": [inst["vcpus"]],
        "spindle-use": [spindles],
        "disk-count": [] if template == "diskless" else [len(sizes)],
    }
    fits = [
        all(pair["min"][k] <= v <= pair["max"][k] for k, vs in values.items() for v in vs)
        for pair in policy["minmax"]
    ]
    if fits and not any(fits):
        fail(f"{what}: instance {values} outside every min/max spec of group {gdata['name']}")
    for nic in inst.get("nics", []):
        if nic.get("network") is not None and nic["network"] not in gdata["networks"]:
            fail(f"{what}: group {gdata['name']} is not connected to network {nic['network']}")


def _check_allocation(
    doc: Doc, ledger: Ledger, entry: dict[str, Any], nodes: object, restrict: list[str] | None, what: str
) -> None:
    if not isinstance(nodes, list) or len(nodes) != entry["required_nodes"]:
        fail(f"{what}: expected {entry['required_nodes']} node(s), got {nodes!r}")
    for name in nodes:
        check_node(doc, name, what)
    group = check_one_group(doc, nodes, what)
    wanted = entry.get("group_name")
    gdata = doc["nodegroups"][group]
    if wanted is not None and wanted not in (gdata["name"], group):
        fail(f"{what}: nodes {nodes} are in group {gdata['name']}, not the requested {wanted}")
    if restrict is not None and not set(nodes) <= set(restrict):
        fail(f"{what}: nodes {nodes} are outside the allowed nodes {restrict}")
    _check_policy(doc, entry, nodes[0], what)
    ledger.add(entry, nodes, what)


def _allocate(doc: Doc, req: dict[str, Any], result: Any, ledger: Ledger, restrict: list[str] | None) -> None:
    restrict = restrict if restrict is not None else req.get("restrict-to-nodes")
    _check_allocation(doc, ledger, req, result, restrict, f"allocate {req['name']}")


def _multi_allocate(
    doc: Doc, req: dict[str, Any], result: Any, ledger: Ledger, restrict: list[str] | None
) -> None:
    if not (isinstance(result, list) and len(result) == 2):
        fail(f"multi-allocate: result must be [allocated, failed], got {result!r}")
    entries = {e["name"]: e for e in req["instances"]}
    allocated, failed = result
    placed = [a[0] for a in allocated]
    failed_names = [f if isinstance(f, str) else f[0] for f in failed]
    if sorted(placed + failed_names) != sorted(entries):
        fail(
            f"multi-allocate: allocated {placed} + failed {failed_names} must be the entries {list(entries)}"
        )
    for name, nodes in allocated:
        _check_allocation(doc, ledger, entries[name], nodes, restrict, f"multi-allocate {name}")


def _relocate(doc: Doc, req: dict[str, Any], result: Any, ledger: Ledger) -> None:
    name, what = req["name"], f"relocate {req['name']}"
    inst = doc["instances"][name]
    if not (isinstance(result, list) and len(result) == 1):
        fail(f"{what}: expected one node, got {result!r}")
    target = result[0]
    check_node(doc, target, what)
    if target in req["relocate_from"] or target in inst["nodes"]:
        fail(f"{what}: {target} is one of the instance's nodes {inst['nodes']} or relocate_from")
    if group_of(doc, target) != group_of(doc, inst["nodes"][0]):
        fail(f"{what}: {target} is not in the instance's group")
    new = [inst["nodes"][0], target] if inst["disk_template"] == "drbd" else [target]
    ledger.move(inst, new, what)


def _allocate_secondary(doc: Doc, req: dict[str, Any], result: Any, ledger: Ledger) -> None:
    name, what = req["name"], f"allocate-secondary {req['name']}"
    inst = doc["instances"][name]
    check_node(doc, result, what)
    primary = inst["nodes"][0]
    check_one_group(doc, [primary, result], what)
    converted = inst | {"disk_template": "drbd"}
    _check_policy(doc, converted, primary, what)
    ledger.move(inst, [primary, result], what, converted)


def check_answer(doc: Doc, response: dict[str, Any], params: Sequence[str] = ()) -> None:
    """Raise AssertionError unless `response` is a valid answer to `doc` under `params`."""
    for key in ("success", "info", "result"):
        if key not in response:
            fail(f"response lacks {key!r}")
    req, result = doc["request"], response["result"]
    if response["success"] is not True:
        if response["success"] is not False or result not in ([], None):
            fail(f"a failed answer must be success false with an empty result, got {response!r}")
        return
    static = _option(params, "static-kvm-node-memory")
    ledger = Ledger(doc, kvm_reserved_memory(doc, int(static) if static is not None else 4096))
    restrict_opt = _option(params, "restrict-allocation-to")
    restrict = restrict_opt.split(",") if restrict_opt is not None else None
    kind = req["type"]
    if kind == "allocate":
        _allocate(doc, req, result, ledger, restrict)
    elif kind == "multi-allocate":
        _multi_allocate(doc, req, result, ledger, restrict)
    elif kind == "relocate":
        _relocate(doc, req, result, ledger)
    elif kind == "allocate-secondary":
        _allocate_secondary(doc, req, result, ledger)
    elif kind in ("node-evacuate", "change-group"):
        check_evacuation(doc, req, result, ledger)
    else:
        fail(f"check_answer does not know request type {kind!r}")
    ledger.check()
