"""Ganeti's own judgement of an iallocator answer, from the extracted ganeti-3.0 package.

`validate_response` runs what Ganeti 3.0's master does with an answer
(lib/masterd/iallocator.py: IAllocator._ValidateResult, then the request class's
ValidateResult), against a stand-in for the cluster configuration built from the document.
`validate_opcode` loads and validates an opcode of a node-evacuate/change-group job. Both
raise AssertionError with Ganeti's message when Ganeti would refuse.

The package needs pyOpenSSL, simplejson, pyparsing, bitarray and pycurl (all from PyPI).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from tests.support.shared import REPO

GANETI_DIR = Path(os.environ.get("IALLOCD_GANETI_DIR", REPO / ".cache/ganeti-3.0/root/usr/share/ganeti/3.0"))
SKIP_REASON = (
    f"Ganeti 3.0's Python package is not usable from {GANETI_DIR} "
    "(run tests/support/install-deps.sh and install the test extras)"
)


@functools.cache
def _ganeti() -> SimpleNamespace:
    """Ganeti's iallocator, opcodes and errors modules (imported once)."""
    if not (GANETI_DIR / "ganeti" / "masterd" / "iallocator.py").is_file():
        raise ImportError(f"no Ganeti package at {GANETI_DIR}")
    if str(GANETI_DIR) not in sys.path:
        sys.path.append(str(GANETI_DIR))
    modules: dict[str, ModuleType] = {
        name.rsplit(".", 1)[-1]: importlib.import_module(name)
        for name in ("ganeti.masterd.iallocator", "ganeti.opcodes", "ganeti.errors")
    }
    return SimpleNamespace(**modules)


def ganeti_available() -> bool:
    try:
        _ganeti()
    except ImportError:
        return False
    return True


class _Config:
    """The part of Ganeti's configuration the validators read: node and instance UUIDs are
    their names here."""

    def __init__(self, doc: dict[str, Any]):
        self._doc = doc

    def GetInstanceInfo(self, uuid: str) -> SimpleNamespace | None:
        inst = self._doc["instances"].get(uuid)
        return None if inst is None else SimpleNamespace(uuid=uuid, name=uuid, primary_node=inst["nodes"][0])

    def GetNodeNames(self, uuids: list[str]) -> list[str]:
        return list(uuids)


# Stand-ins for allocation fields Ganeti always sends but hand-written inputs may lack.
_ALLOC_DEFAULTS = {"os": "", "tags": [], "nics": [], "spindle_use": 1, "group_name": None}


def _alloc(ia: ModuleType, req: dict[str, Any], hypervisor: str, strict: bool) -> Any:
    fields = {
        "name": "name",
        "memory": "memory",
        "spindle_use": "spindle_use",
        "disks": "disks",
        "disk_template": "disk_template",
        "group_name": "group_name",
        "os": "os",
        "tags": "tags",
        "nics": "nics",
        "vcpus": "vcpus",
        "hypervisor": "hypervisor",
        "restrict-to-nodes": "node_whitelist",
    }
    known = {param: req[key] for key, param in fields.items() if key in req}
    if not strict:
        known = _ALLOC_DEFAULTS | {"hypervisor": hypervisor} | known
    known.setdefault("node_whitelist", None)
    return ia.IAReqInstanceAlloc(**known)


def request_object(doc: dict[str, Any], strict: bool = True) -> Any:
    """Ganeti's request object (IAReq...) for doc["request"]; raises AssertionError if Ganeti
    would refuse to build it. Not strict: allocation fields that Ganeti always sends but the
    document lacks get neutral values."""
    g = _ganeti()
    ia, req = g.iallocator, doc["request"]
    hv = (doc.get("enabled_hypervisors") or [""])[0]
    builders = {
        "allocate": lambda: _alloc(ia, req, hv, strict),
        "multi-allocate": lambda: ia.IAReqMultiInstanceAlloc(
            instances=[_alloc(ia, r, hv, strict) for r in req["instances"]]
        ),
        "relocate": lambda: ia.IAReqRelocate(
            inst_uuid=req["name"], relocate_from_node_uuids=req["relocate_from"]
        ),
        "node-evacuate": lambda: ia.IAReqNodeEvac(
            instances=req["instances"], evac_mode=req["evac_mode"], ignore_soft_errors=None
        ),
        "change-group": lambda: ia.IAReqGroupChange(
            instances=req["instances"], target_groups=req["target_groups"]
        ),
        "allocate-secondary": lambda: ia.IAReqInstanceAllocateSecondary(name=req["name"]),
    }
    if req["type"] not in builders:
        raise AssertionError(f"Ganeti 3.0 has no request type {req['type']!r}")
    try:
        return builders[req["type"]]()
    except (g.errors.GenericError, KeyError) as err:
        raise AssertionError(f"Ganeti refuses the request: {err}") from err


def validate_request(doc: dict[str, Any]) -> None:
    """Raise AssertionError unless Ganeti 3.0 could have built doc["request"] (its request
    class accepts the parameters; allocation requests carry every field it sends)."""
    if doc["request"]["type"] != "multi-evacuate":
        request_object(doc, strict=True)


def validate_response(doc: dict[str, Any], response: dict[str, Any]) -> None:
    """Raise AssertionError if Ganeti's master would reject `response` to `doc`."""
    if doc["request"]["type"] == "multi-evacuate":
        _validate_multi_evacuate(response)
        return
    g = _ganeti()
    allocator = object.__new__(g.iallocator.IAllocator)
    allocator.cfg = _Config(doc)
    allocator.req = request_object(doc, strict=False)
    allocator.in_data = doc
    allocator.out_text = json.dumps(response)
    allocator.success = allocator.info = allocator.result = None
    try:
        allocator._ValidateResult()
    except g.errors.GenericError as err:
        raise AssertionError(f"Ganeti rejects the answer: {err}") from err


def _validate_multi_evacuate(response: dict[str, Any]) -> None:
    """Ganeti 2.2-2.4 (cmdlib.py IAllocator._ValidateResult, LUNodeEvacuationStrategy): the
    envelope, and a result of [instance, new secondary] pairs."""
    for key in ("success", "info", "result"):
        if key not in response:
            raise AssertionError(f"Can't parse iallocator results: missing key '{key}'")
    result = response["result"]
    if not isinstance(result, list):
        raise AssertionError("Can't parse iallocator results: 'result' key is not a list")
    if response["success"]:
        for entry in result:
            if not (
                isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) and x for x in entry)
            ):
                raise AssertionError(f"multi-evacuate entries must be [instance, node], got {entry!r}")


def validate_opcode(op: dict[str, Any]) -> None:
    """Raise AssertionError unless Ganeti loads and validates `op` (OpCode.LoadOpCode, then
    Validate with defaults), as the job queue does before running it."""
    g = _ganeti()
    try:
        g.opcodes.OpCode.LoadOpCode(dict(op)).Validate(True)
    except (g.errors.GenericError, ValueError, TypeError, AttributeError) as err:
        raise AssertionError(f"Ganeti rejects opcode {op!r}: {err}") from err
