"""The fast path of parsing: the bulk of a document (nodes and instances) without pydantic.

A real cluster sends tens of thousands of instances; building a pydantic object for each one
costs more than the whole allocation, and so did checking each JSON object in Python. msgspec
reads the document in one pass, checking every instance against `RawInstance` in C as it goes
(a 1000-node document: 30 ms, where parsing it to dicts alone took 60). Nodes (a few per
thousand instances) stay JSON objects, checked by `node_ok`.

These checks accept exactly the nodes and instances the models in `request.py` accept, with
the same values (a test holds them to that); anything they do not accept, a float where an
integer is expected included, goes through the models, which remain the one authority on what
is valid and say precisely what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct

from app.protocol.request import INT_MAX, INT_MIN, LIVE_NODE_FIELDS, DiskTemplate, Envelope, NicMode

Int = Annotated[int, Meta(ge=INT_MIN, le=INT_MAX)]


# gc=False: instances hold no reference cycles, so the cyclic collector need not track them.
class RawDisk(Struct, gc=False):
    size: Int
    spindles: Int | None = None
    mode: str | None = None


class RawNic(Struct, gc=False):
    mac: str | None = None
    ip: str | None = None
    mode: NicMode | None = None
    link: str | None = None
    bridge: str | None = None
    network: str | None = None


class RawInstance(Struct, gc=False):
    """An existing instance as the document has it, defaults filled in as the models fill them."""

    disk_space_total: Int
    memory: Int
    vcpus: Int
    disk_template: DiskTemplate
    nodes: Annotated[list[str], Meta(min_length=1)]
    disks: list[RawDisk] = []
    tags: list[str] = []
    spindle_use: Int = 1
    nics: list[RawNic] = []
    # The models read a missing or unknown state as "up"; the engine does too (RUN_STATE).
    admin_state: str = "up"
    forthcoming: bool = False


_ENVELOPE = tuple(f.alias or name for name, f in Envelope.model_fields.items())
_Document = msgspec.defstruct(
    "_Document",
    [
        ("nodes", dict[str, dict[str, Any]]),
        ("instances", dict[str, RawInstance], {}),
        *((key, Any, UNSET) for key in _ENVELOPE),
    ],
    gc=False,
)
_DECODER = msgspec.json.Decoder(_Document)


class Bulk(Struct, gc=False):
    """A document the fast path read: the envelope still as JSON (for the models), the bulk
    decoded."""

    envelope: dict[str, Any]
    nodes: dict[str, dict[str, Any]]
    instances: dict[str, RawInstance]


def decode(data: bytes | str) -> Bulk | None:
    """The document, if it is valid JSON of the shape `_Document` reads (None: let the models
    say what is wrong)."""
    try:
        doc: Any = _DECODER.decode(data)  # a `_Document`, whose type mypy cannot see
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    envelope = {key: value for key in _ENVELOPE if (value := getattr(doc, key)) is not UNSET}
    return Bulk(envelope, doc.nodes, doc.instances)


def raw_instances(instances: Mapping[str, Any]) -> dict[str, RawInstance]:
    """Instances the models validated (dumped), as the fast path reads them."""
    return msgspec.convert(instances, dict[str, RawInstance])


def _int(v: object) -> bool:
    if type(v) is int:
        return INT_MIN <= v <= INT_MAX
    return type(v) is float and v.is_integer() and INT_MIN <= v <= INT_MAX


def _float(v: object) -> bool:
    return (type(v) is int or (type(v) is float and math.isfinite(v))) and INT_MIN <= v <= INT_MAX


_NODE_INTS = (
    "reserved_memory",
    "free_memory",
    "free_disk",
    "reserved_cpus",
    "free_spindles",
    "total_spindles",
)
_NODE_FLOATS = ("total_memory", "total_disk", "total_cpus")


def node_ok(node: dict[str, Any], groups: Mapping[str, Any]) -> bool:
    get = node.get
    offline, drained, vm_capable = get("offline"), get("drained"), get("vm_capable", True)
    if type(offline) is not bool or type(drained) is not bool or type(vm_capable) is not bool:
        return False
    tags = get("tags", [])
    if type(tags) is not list or not all(type(t) is str for t in tags):
        return False
    if type(get("group")) is not str or get("group") not in groups:
        return False
    nd = get("ndparams", {})
    if type(nd) is not dict or type(nd.get("exclusive_storage", False)) is not bool:
        return False
    if not _int(nd.get("spindle_count", 1)):
        return False
    if not all(_int(get(k, 0)) for k in _NODE_INTS) or not all(_float(get(k, 0)) for k in _NODE_FLOATS):
        return False
    return offline or not vm_capable or all(k in node for k in LIVE_NODE_FIELDS)


def bulk_ok(bulk: Bulk, groups: Mapping[str, Any]) -> bool:
    """The nodes are valid, and the instances are on nodes that exist (their own fields were
    checked as they were decoded)."""
    nodes = bulk.nodes
    if not all(node_ok(n, groups) for n in nodes.values()):
        return False
    # Only the primary and the secondary are looked up, as the models do (hail ignores the rest).
    return all(
        i.nodes[0] in nodes and (len(i.nodes) < 2 or i.nodes[1] in nodes) for i in bulk.instances.values()
    )
