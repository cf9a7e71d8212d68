"""The input models: defaults, live nodes, admin state, aliases and the request union."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from app.protocol import (
    AllocateRequest,
    ChangeGroupRequest,
    DocumentError,
    InputDocument,
    MultiAllocateRequest,
    MultiEvacuateRequest,
    Node,
    NodeEvacuateRequest,
    NodeGroup,
    RelocateRequest,
    parse_document,
)
from app.protocol.request import LIVE_NODE_FIELDS, PERMISSIVE_IPOLICY, REQUEST_TYPES, ISpec, Request


def _parse(doc: dict[str, Any]) -> InputDocument:
    """Errors as parse_document reports them; the models themselves for a valid document."""
    parse_document(json.dumps(doc))
    return InputDocument.model_validate_json(json.dumps(doc))


def test_input_document_valid_document_parses_all_parts(doc: dict[str, Any]) -> None:
    parsed = _parse(doc)
    assert isinstance(parsed.request, AllocateRequest)
    assert parsed.request.required_nodes == 2
    assert parsed.nodegroups["uuid-1"].ipolicy.minmax[0].max.memory_size == 128 * 64
    assert parsed.nodegroups["uuid-1"].ipolicy.disk_templates == ["drbd", "plain"]
    assert parsed.instances["inst1"].nodes == ["node1", "node2"]
    assert parsed.instances["inst1"].nics[0].mode == "bridged"
    assert parsed.nodes["node1"].total_memory == 32768.0


def test_input_document_model_validate_accepts_python_dicts(doc: dict[str, Any]) -> None:
    assert InputDocument.model_validate(doc) == _parse(doc)


def test_input_document_unknown_keys_ignored(doc: dict[str, Any]) -> None:
    doc["future_key"] = {"x": 1}
    doc["nodes"]["node1"]["primary_ip"] = "192.0.2.1"
    doc["instances"]["inst1"]["os"] = "debootstrap"
    doc["request"]["hypervisor"] = "xen-pvm"
    assert _parse(doc).nodes["node1"].free_memory == 30000


def test_input_document_cluster_ipolicy_any_object_ignored(doc: dict[str, Any]) -> None:
    doc["ipolicy"] = {"max": {"disk-size": 2048}}
    assert _parse(doc).ipolicy == {"max": {"disk-size": 2048}}


def test_input_document_empty_hypervisor_list_accepted(doc: dict[str, Any]) -> None:
    doc["enabled_hypervisors"] = []
    assert _parse(doc).enabled_hypervisors == []


def test_input_document_integral_float_read_as_int(doc: dict[str, Any]) -> None:
    doc["nodes"]["node1"]["free_memory"] = 1024.0
    value = _parse(doc).nodes["node1"].free_memory
    assert value == 1024 and type(value) is int


def test_node_group_without_ipolicy_gets_permissive_policy(doc: dict[str, Any]) -> None:
    del doc["nodegroups"]["uuid-1"]["ipolicy"]
    del doc["nodegroups"]["uuid-1"]["networks"]
    group = _parse(doc).nodegroups["uuid-1"]
    assert group.ipolicy == PERMISSIVE_IPOLICY
    assert group.networks == []


def test_permissive_ipolicy_allows_every_template_and_size() -> None:
    (pair,) = PERMISSIVE_IPOLICY.minmax
    assert pair.min == ISpec(
        memory_size=0, cpu_count=0, disk_size=0, disk_count=0, nic_count=0, spindle_use=0
    )
    assert min(pair.max.model_dump().values()) == 2**31
    assert len(PERMISSIVE_IPOLICY.disk_templates) == 9
    assert (PERMISSIVE_IPOLICY.vcpu_ratio, PERMISSIVE_IPOLICY.spindle_ratio) == (4.0, 32.0)


def test_node_group_default_ipolicy_not_shared() -> None:
    a = NodeGroup(name="a", alloc_policy="preferred")
    a.ipolicy.disk_templates.clear()
    assert NodeGroup(name="b", alloc_policy="preferred").ipolicy == PERMISSIVE_IPOLICY


@pytest.mark.parametrize(("flag", "value"), [("offline", True), ("vm_capable", False)])
def test_node_not_live_without_runtime_data_gets_zeros(doc: dict[str, Any], flag: str, value: bool) -> None:
    node = doc["nodes"]["node3"]
    for field in [*LIVE_NODE_FIELDS, "ndparams", "tags", "free_spindles", "total_spindles"]:
        del node[field]
    node[flag] = value
    parsed = _parse(doc).nodes["node3"]
    assert not parsed.live
    assert parsed.total_memory == parsed.free_memory == parsed.total_cpus == 0
    assert parsed.ndparams.spindle_count == 1 and not parsed.ndparams.exclusive_storage


def test_node_drained_still_needs_runtime_data(doc: dict[str, Any]) -> None:
    node = doc["nodes"]["node3"]
    node["drained"] = True
    del node["free_disk"]
    with pytest.raises(DocumentError, match=r"^nodes\.node3\.free_disk: field required$"):
        _parse(doc)


def test_node_live_missing_runtime_data_lists_every_field() -> None:
    with pytest.raises(ValidationError) as info:
        Node.model_validate({"offline": False, "drained": False, "group": "g", "free_memory": 1})
    missing = [e["loc"] for e in info.value.errors()]
    assert missing == [(f,) for f in LIVE_NODE_FIELDS if f != "free_memory"]


@pytest.mark.parametrize(
    ("raw", "state"), [("up", "up"), ("down", "down"), ("offline", "offline"), ("bogus", "up"), (3, "up")]
)
def test_instance_admin_state_unknown_means_up(doc: dict[str, Any], raw: object, state: str) -> None:
    doc["instances"]["inst1"]["admin_state"] = raw
    assert _parse(doc).instances["inst1"].admin_state == state


def test_instance_old_ganeti_fields_missing_get_defaults(doc: dict[str, Any]) -> None:
    inst = doc["instances"]["inst1"]
    for field in ["admin_state", "spindle_use", "nics", "tags", "disks"]:
        del inst[field]
    parsed = _parse(doc).instances["inst1"]
    assert (parsed.admin_state, parsed.spindle_use, parsed.nics, parsed.forthcoming) == ("up", 1, [], False)


def test_instance_third_node_not_looked_up(doc: dict[str, Any]) -> None:
    # hail reads only the primary and the secondary.
    doc["instances"]["inst1"]["nodes"] = ["node1", "node2", "elsewhere"]
    assert _parse(doc).instances["inst1"].nodes[2] == "elsewhere"


def test_allocate_request_dashed_keys_read_by_alias(doc: dict[str, Any]) -> None:
    doc["request"]["restrict-to-nodes"] = ["node1", "node2"]
    doc["request"]["group_name"] = "default"
    req = _parse(doc).request
    assert isinstance(req, AllocateRequest)
    assert (req.restrict_to_nodes, req.group_name) == (["node1", "node2"], "default")


def test_allocate_request_field_names_accepted_too() -> None:
    spec = ISpec(memory_size=1, cpu_count=1, disk_size=1, disk_count=1, spindle_use=1)
    assert spec.nic_count == 1
    assert ISpec.model_validate(
        {"memory_size": 1, "cpu-count": 1, "disk-size": 1, "disk-count": 1, "spindle-use": 1}
    )


@pytest.mark.parametrize(
    ("request_", "model"),
    [
        ({"type": "relocate", "name": "inst1", "relocate_from": ["node2"]}, RelocateRequest),
        ({"type": "change-group", "instances": ["inst1"]}, ChangeGroupRequest),
        ({"type": "node-evacuate", "instances": ["inst1"], "evac_mode": "all"}, NodeEvacuateRequest),
        ({"type": "multi-evacuate", "evac_nodes": ["node2"]}, MultiEvacuateRequest),
    ],
)
def test_request_type_selects_model(doc: dict[str, Any], request_: dict[str, Any], model: type) -> None:
    doc["request"] = request_
    assert type(_parse(doc).request) is model


def test_relocate_request_required_nodes_defaults_to_one(doc: dict[str, Any]) -> None:
    doc["request"] = {"type": "relocate", "name": "inst1", "relocate_from": ["node2"]}
    req = _parse(doc).request
    assert isinstance(req, RelocateRequest) and req.required_nodes == 1


def test_multi_allocate_request_entries_parsed(doc: dict[str, Any]) -> None:
    entry = {**doc["request"], "name": "new2", "group_name": "ignored-by-hail"}
    del entry["type"]
    doc["request"] = {"type": "multi-allocate", "instances": [entry, {**entry, "name": "new3"}]}
    req = _parse(doc).request
    assert isinstance(req, MultiAllocateRequest)
    assert [e.name for e in req.instances] == ["new2", "new3"]
    assert req.group_name is None and req.instances[0].group_name == "ignored-by-hail"


def test_input_document_errors_raised_as_validation_error(doc: dict[str, Any]) -> None:
    # The models raise pydantic's error; only parse_document turns it into DocumentError.
    doc["nodes"]["node3"]["group"] = "x"
    with pytest.raises(ValidationError) as info:
        InputDocument.model_validate(doc)
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [
        (("nodes", "node3", "group"), 'unknown node group "x"')
    ]


def test_request_types_name_every_request_model() -> None:
    (union, _) = get_args(Request)
    tags = [get_args(model.model_fields["type"].annotation)[0] for model in get_args(union)]
    assert tags == list(REQUEST_TYPES)
