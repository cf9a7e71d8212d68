"""parse_document: Ganeti's test inputs, refusals, one exact message per kind of bad input, fuzzing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings, strategies as st

from app.protocol import DocumentError, InputDocument, Instance, parse_document
from app.protocol.fast import RawInstance
from tests.protocol.conftest import DOCUMENT

TESTDATA = Path("/work/shared/ganeti/testdata")
INVALID_RELOC = "hail-invalid-reloc.json"
DELETE = object()
TEMPLATES = '"diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster"'
REQUEST_TYPES = (
    "allocate, relocate, change-group, node-evacuate, multi-allocate, allocate-secondary, multi-evacuate"
)


def _testdata_objects() -> list[str]:
    """The testdata files that are JSON objects with a request (all of them today)."""
    names = []
    for path in sorted(TESTDATA.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "request" in data:
            names.append(path.name)
    return names


@pytest.mark.parametrize("name", [n for n in _testdata_objects() if n != INVALID_RELOC])
def test_parse_document_ganeti_testdata_parses(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.protocol.parse.InputDocument", None)  # Ganeti's inputs: the fast path
    data = (TESTDATA / name).read_bytes()
    doc = parse_document(data)
    assert list(doc.nodes) == list(json.loads(data)["nodes"])


def test_parse_document_testdata_found() -> None:
    # hail-alloc-drbd-restricted.json and hail-alloc-ext.json are objects with empty cluster
    # data (Ganeti's suite supplies the cluster with -t): they must be among the parsed ones.
    names = _testdata_objects()
    assert {"hail-alloc-drbd-restricted.json", "hail-alloc-ext.json", INVALID_RELOC} <= set(names)
    assert len(names) >= 19


def test_parse_document_invalid_reloc_fails_naming_request_name() -> None:
    with pytest.raises(DocumentError) as info:
        parse_document((TESTDATA / INVALID_RELOC).read_bytes())
    assert str(info.value) == "request.name: expected a string, got 0"
    assert info.value.errors == [
        ("request.name", "expected a string, got 0"),
        ("request.required_nodes", 'expected an integer, got "aaa"'),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "(document): empty input"),
        (" \n", "(document): empty input"),
        ("[]", "(document): expected a JSON object, got a list"),
        ("{}", "request: field required"),
        ('{"request": 0}', "request: expected an object, got 0"),
        ('"x"', '(document): expected a JSON object, got "x"'),
        ("null", "(document): expected a JSON object, got null"),
        ("{", "(document): not valid JSON: EOF while parsing an object at line 1 column 1"),
        ('{"request": {}}', "request.type: field required"),
    ],
)
def test_parse_document_refusal_fails_with_message(text: str, message: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_document(text)
    assert str(info.value) == message


def test_parse_document_empty_object_keeps_every_error() -> None:
    with pytest.raises(DocumentError) as info:
        parse_document(b"{}")
    assert info.value.errors == [
        ("request", "field required"),
        ("enabled_hypervisors", "field required"),
        ("nodegroups", "field required"),
        ("nodes", "field required"),
    ]
    assert (info.value.path, info.value.reason) == ("request", "field required")


def test_parse_document_invalid_utf8_fails_as_json() -> None:
    with pytest.raises(DocumentError, match=r"^\(document\): not valid JSON: "):
        parse_document(b'{"cluster_name": "\xff"}')


def _set(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


def _request(**fields: object) -> Callable[[dict[str, Any]], None]:
    return _set(("request",), fields)


BAD_DOCUMENTS = [
    (
        _set(("nodes", "node3", "free_memory"), "lots"),
        'nodes.node3.free_memory: expected an integer, got "lots"',
    ),
    (
        _set(("nodes", "node3", "free_memory"), "123"),
        'nodes.node3.free_memory: expected an integer, got "123"',
    ),
    (_set(("nodes", "node3", "free_memory"), True), "nodes.node3.free_memory: expected an integer, got true"),
    (_set(("nodes", "node3", "free_memory"), 1.5), "nodes.node3.free_memory: expected an integer, got 1.5"),
    (_set(("nodes", "node3", "free_memory"), None), "nodes.node3.free_memory: expected an integer, got null"),
    (
        _set(("nodes", "node3", "free_memory"), 2**63),
        "nodes.node3.free_memory: expected an integer from -9007199254740991 to 9007199254740991, got "
        "9223372036854775808",
    ),
    (
        _set(("nodes", "node3", "free_memory"), 1e30),
        "nodes.node3.free_memory: expected an integer from -9007199254740991 to 9007199254740991, got 1e+30",
    ),
    (_set(("nodes", "node3", "total_memory"), "1"), 'nodes.node3.total_memory: expected a number, got "1"'),
    (
        _set(("nodes", "node3", "total_memory"), False),
        "nodes.node3.total_memory: expected a number, got false",
    ),
    (
        _set(("nodes", "node3", "total_memory"), float("inf")),
        "nodes.node3.total_memory: expected a finite number, got Infinity",
    ),
    (_set(("nodes", "node3", "offline"), "no"), 'nodes.node3.offline: expected true or false, got "no"'),
    (_set(("nodes", "node3", "offline"), 0), "nodes.node3.offline: expected true or false, got 0"),
    (_set(("nodes", "node3", "total_memory"), DELETE), "nodes.node3.total_memory: field required"),
    (_set(("nodes", "node3", "drained"), DELETE), "nodes.node3.drained: field required"),
    (_set(("nodes", "node3", "group"), "x"), 'nodes.node3.group: unknown node group "x"'),
    (_set(("nodes", "node3", "ndparams"), []), "nodes.node3.ndparams: expected an object, got a list"),
    (_set(("nodes",), []), "nodes: expected an object, got a list"),
    (_set(("nodes", "node3"), "up"), 'nodes.node3: expected an object, got "up"'),
    (_set(("instances", "inst1", "nodes"), ["node1", "x"]), 'instances.inst1.nodes.1: unknown node "x"'),
    (_set(("instances", "inst1", "nodes"), []), "instances.inst1.nodes: must not be empty"),
    (
        _set(("instances", "inst1", "disk_template"), "lvm"),
        f'instances.inst1.disk_template: expected one of {TEMPLATES}, got "lvm"',
    ),
    (
        _set(("instances", "inst1", "nics", 0, "mode"), "nat"),
        'instances.inst1.nics.0.mode: expected one of "bridged", "routed", "openvswitch", got "nat"',
    ),
    (
        _set(("instances", "inst1", "disks", 0, "size"), None),
        "instances.inst1.disks.0.size: expected an integer, got null",
    ),
    (_set(("instances", "inst1", "memory"), DELETE), "instances.inst1.memory: field required"),
    (
        _set(("nodegroups", "uuid-1", "alloc_policy"), "sometimes"),
        "nodegroups.uuid-1.alloc_policy: "
        'expected one of "preferred", "last_resort", "unallocable", got "sometimes"',
    ),
    (
        _set(("nodegroups", "uuid-1", "ipolicy", "vcpu-ratio"), "4"),
        'nodegroups.uuid-1.ipolicy.vcpu-ratio: expected a number, got "4"',
    ),
    (
        _set(("nodegroups", "uuid-1", "ipolicy", "minmax", 0, "min", "memory-size"), DELETE),
        "nodegroups.uuid-1.ipolicy.minmax.0.min.memory-size: field required",
    ),
    (
        _set(("enabled_hypervisors",), ["kvm", "vmware"]),
        "enabled_hypervisors.1: "
        'expected one of "kvm", "xen-pvm", "xen-hvm", "chroot", "lxc", "fake", got "vmware"',
    ),
    (_set(("enabled_hypervisors",), DELETE), "enabled_hypervisors: field required"),
    (_set(("cluster_tags",), "x"), 'cluster_tags: expected a list, got "x"'),
    (_set(("cluster_name",), 1), "cluster_name: expected a string, got 1"),
    (_set(("request",), DELETE), "request: field required"),
    (_set(("request",), 0), "request: expected an object, got 0"),
    (_request(type="foo"), f'request.type: unknown request type "foo" (expected one of {REQUEST_TYPES})'),
    (_request(type=None), f"request.type: unknown request type null (expected one of {REQUEST_TYPES})"),
    (_set(("request", "memory"), DELETE), "request.memory: field required"),
    (_set(("request", "required_nodes"), "2"), 'request.required_nodes: expected an integer, got "2"'),
    (
        _set(("request", "restrict-to-nodes"), "node1"),
        'request.restrict-to-nodes: expected a list, got "node1"',
    ),
    (
        _request(type="node-evacuate", instances=["inst1"], evac_mode="x"),
        'request.evac_mode: expected one of "primary-only", "secondary-only", "all", got "x"',
    ),
    (
        _request(type="node-evacuate", instances=["inst1", "inst2", "ghost"], evac_mode="all"),
        'request.instances.2: unknown instance "ghost"',
    ),
    (_request(type="change-group", instances=["ghost"]), 'request.instances.0: unknown instance "ghost"'),
    (
        _request(type="relocate", name="ghost", relocate_from=["node2"]),
        'request.name: unknown instance "ghost"',
    ),
    (
        _request(type="relocate", name="inst1", relocate_from=["node2", "ghost"]),
        'request.relocate_from.1: unknown node "ghost"',
    ),
    (_request(type="relocate", name="inst1"), "request.relocate_from: field required"),
    (_request(type="allocate-secondary", name="ghost"), 'request.name: unknown instance "ghost"'),
    (
        _request(type="multi-evacuate", evac_nodes=["node1", "ghost"]),
        'request.evac_nodes.1: unknown node "ghost"',
    ),
    (
        _request(type="multi-allocate", instances=[{"required_nodes": 1, **DOCUMENT["instances"]["inst2"]}]),
        "request.instances.0.name: field required",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_DOCUMENTS, ids=[m for _, m in BAD_DOCUMENTS])
def test_parse_document_bad_document_fails_with_path_and_reason(
    doc: dict[str, Any], change: Callable[[dict[str, Any]], None], message: str
) -> None:
    change(doc)
    with pytest.raises(DocumentError) as info:
        parse_document(json.dumps(doc))
    assert str(info.value) == message
    assert info.value.errors[0] == tuple(message.split(": ", 1))


@pytest.mark.parametrize(
    "change",
    [
        _set(("request", "group_name"), "no-such-group"),
        _set(("request", "restrict-to-nodes"), ["no-such-node"]),
        _request(type="change-group", instances=["inst1"], target_groups=["no-such-group"]),
        _request(type="multi-allocate", instances=[], group_name="no-such-group"),
    ],
)
def test_parse_document_unknown_group_or_restriction_parses(
    doc: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> None:
    # The engine answers these with success: false, as hail does; they are not input errors.
    change(doc)
    parse_document(json.dumps(doc))


def test_parse_document_str_and_bytes_give_same_document(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    assert parse_document(text) == parse_document(text.encode())


def test_parse_document_key_order_preserved(doc: dict[str, Any]) -> None:
    node = doc["nodes"]["node1"]
    doc["nodes"] = {name: node for name in ["zeta", "alpha", "mid", "beta"]}
    doc["nodegroups"]["a-second"] = {**doc["nodegroups"]["uuid-1"], "name": "second"}
    inst = doc["instances"]["inst2"]
    doc["instances"] = {name: {**inst, "nodes": ["alpha"]} for name in ["z1", "a1", "m1"]}
    parsed = parse_document(json.dumps(doc))
    assert list(parsed.nodes) == ["zeta", "alpha", "mid", "beta"]
    assert list(parsed.nodegroups) == ["uuid-1", "a-second"]
    assert list(parsed.instances) == ["z1", "a1", "m1"]


def test_parse_document_valid_document_takes_the_fast_path(
    doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A valid document is never read by the whole models (the slow path: 3-4 times the time).
    monkeypatch.setattr("app.protocol.parse.InputDocument", None)
    parsed = parse_document(json.dumps(doc))
    assert parsed.instances["inst1"].nodes == doc["instances"]["inst1"]["nodes"]


def test_parse_document_integral_float_reads_as_the_integer(doc: dict[str, Any]) -> None:
    # The fast path refuses 1024.0 for an integer; the models accept it, and say which integer.
    doc["instances"]["inst1"]["memory"] = 1024.0
    doc["instances"]["inst1"]["disks"][0]["size"] = 2048.0
    inst = parse_document(json.dumps(doc)).instances["inst1"]
    assert (type(inst.memory), inst.memory, inst.disks[0].size) == (int, 1024, 2048)


def test_raw_instance_defaults_are_the_models() -> None:
    fields = Instance.model_fields
    defaults = {f: fields[f].default for f in fields if not fields[f].is_required()}
    required = {f for f in fields if fields[f].is_required()}
    raw = msgspec.structs.fields(RawInstance)
    made = {f.name: f.default_factory() for f in raw if f.default_factory is not msgspec.NODEFAULT}
    assert {f.name: f.default for f in raw if f.default is not msgspec.NODEFAULT} | made == defaults
    assert {f.name for f in raw if f.required} == required


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every location inside a JSON value (the root excluded)."""
    items: list[tuple[str | int, object]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _parses_or_refuses(data: bytes | str) -> None:
    """parse_document accepts exactly what the models accept (its fast checks of nodes and
    instances included), and refuses with a path and a reason for each problem."""
    try:
        model: InputDocument | None = InputDocument.model_validate_json(data)
    except ValueError:
        model = None
    try:
        parsed = parse_document(data)
    except DocumentError as exc:
        assert model is None, f"the models accept what parse_document refuses: {exc}"
        assert exc.errors and all(path and reason for path, reason in exc.errors)
    else:
        assert model is not None, "parse_document accepts what the models refuse"
        assert list(parsed.nodes) == list(model.nodes)
        assert list(parsed.instances) == list(model.instances)
        assert parsed.request == model.request
        for name, inst in model.instances.items():  # the same values, defaults included
            assert msgspec.to_builtins(parsed.instances[name]) == inst.model_dump(), name


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_parse_document_any_json_value_parses_or_raises_document_error(value: object) -> None:
    _parses_or_refuses(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_paths(DOCUMENT)), JSON_VALUES)
def test_parse_document_mutated_document_parses_or_raises_document_error(
    path: tuple[str | int, ...], value: object
) -> None:
    doc = json.loads(json.dumps(DOCUMENT))
    _set(path, value)(doc)
    _parses_or_refuses(json.dumps(doc))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_parse_document_any_bytes_parse_or_raise_document_error(data: bytes) -> None:
    _parses_or_refuses(data)
