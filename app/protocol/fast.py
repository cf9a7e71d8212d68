"""A fast pre-check of the bulk of a document: nodes and instances.

A real cluster sends tens of thousands of instances; building a pydantic object for each one
costs more than the whole allocation. These checks accept exactly the nodes and instances the
models in `request.py` accept (a test holds them to that) and keep them as the plain JSON
objects they are. Anything they do not accept goes through the models, which remain the one
authority on what is valid and say precisely what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, get_args

from app.protocol.request import INT_MAX, INT_MIN, LIVE_NODE_FIELDS, DiskTemplate, NicMode

_TEMPLATES = frozenset(get_args(DiskTemplate))
_NIC_MODES = frozenset(get_args(NicMode))
_NODE_INTS = (
    "reserved_memory",
    "free_memory",
    "free_disk",
    "reserved_cpus",
    "free_spindles",
    "total_spindles",
)
_NODE_FLOATS = ("total_memory", "total_disk", "total_cpus")
_NIC_TEXT = ("mac", "ip", "link", "bridge", "network")


def _int(v: object) -> bool:
    if type(v) is int:
        return INT_MIN <= v <= INT_MAX
    return type(v) is float and v.is_integer() and INT_MIN <= v <= INT_MAX


def _float(v: object) -> bool:
    return (type(v) is int or (type(v) is float and math.isfinite(v))) and INT_MIN <= v <= INT_MAX


def _strings(v: object) -> bool:
    if type(v) is not list:
        return False
    for x in v:
        if type(x) is not str:
            return False
    return True


def node_ok(node: object, groups: Mapping[str, Any]) -> bool:
    if type(node) is not dict:
        return False
    get = node.get
    offline, drained, vm_capable = get("offline"), get("drained"), get("vm_capable", True)
    if type(offline) is not bool or type(drained) is not bool or type(vm_capable) is not bool:
        return False
    if type(get("group")) is not str or get("group") not in groups or not _strings(get("tags", [])):
        return False
    nd = get("ndparams", {})
    if type(nd) is not dict or type(nd.get("exclusive_storage", False)) is not bool:
        return False
    if not _int(nd.get("spindle_count", 1)):
        return False
    if not all(_int(get(k, 0)) for k in _NODE_INTS) or not all(_float(get(k, 0)) for k in _NODE_FLOATS):
        return False
    return offline or not vm_capable or all(k in node for k in LIVE_NODE_FIELDS)


def _disks_ok(disks: object) -> bool:
    if type(disks) is not list:
        return False
    for d in disks:
        if type(d) is not dict or not _int(d.get("size")):
            return False
        spindles, mode = d.get("spindles"), d.get("mode")
        if (spindles is not None and not _int(spindles)) or (mode is not None and type(mode) is not str):
            return False
    return True


def _nics_ok(nics: object) -> bool:
    if type(nics) is not list:
        return False
    for n in nics:
        if type(n) is not dict:
            return False
        for k in _NIC_TEXT:
            v = n.get(k)
            if v is not None and type(v) is not str:
                return False
        mode = n.get("mode")
        if mode is not None and (type(mode) is not str or mode not in _NIC_MODES):
            return False
    return True


def instance_ok(inst: object, nodes: Mapping[str, Any]) -> bool:
    if type(inst) is not dict:
        return False
    get = inst.get
    if not (_int(get("disk_space_total")) and _int(get("memory")) and _int(get("vcpus"))):
        return False
    template = get("disk_template")
    if type(template) is not str or template not in _TEMPLATES or not _int(get("spindle_use", 1)):
        return False
    if not _disks_ok(get("disks", [])) or not _nics_ok(get("nics", [])):
        return False
    where = get("nodes")
    if not _strings(get("tags", [])) or type(get("forthcoming", False)) is not bool:
        return False
    if type(get("admin_state", "up")) is not str:  # the models read it as "up"
        return False
    if type(where) is not list or not where or not _strings(where) or where[0] not in nodes:
        return False
    return len(where) < 2 or where[1] in nodes


def bulk_ok(raw: Mapping[str, Any], groups: Mapping[str, Any]) -> bool:
    """The document's nodes and instances are valid (and reference what exists)."""
    nodes, instances = raw.get("nodes"), raw.get("instances", {})
    if type(nodes) is not dict or type(instances) is not dict:
        return False
    return all(node_ok(n, groups) for n in nodes.values()) and all(
        instance_ok(i, nodes) for i in instances.values()
    )
