"""dump_response bytes and the result shapes of each request type."""

from __future__ import annotations

import json

import pytest

from app.protocol import IallocatorResponse, dump_response, validate_result
from app.protocol.request import REQUEST_TYPES
from app.protocol.response import RESULT_ADAPTERS, EvacuationResult

MIGRATE = {
    "OP_ID": "OP_INSTANCE_MIGRATE",
    "instance_name": "inst1",
    "allow_runtime_changes": False,
    "ignore_ipolicy": False,
    "cleanup": False,
    "allow_failover": True,
    "ignore_hvversions": True,
}


def test_dump_response_success_matches_hail_bytes() -> None:
    body = dump_response(True, "Request successful: Selected group: default", ["node2", "node1"])
    assert (
        body
        == b'{"success":true,"info":"Request successful: Selected group: default","result":["node2","node1"]}'
    )


def test_dump_response_failure_matches_hail_bytes() -> None:
    body = dump_response(False, "Request failed: No online nodes", [])
    assert body == b'{"success":false,"info":"Request failed: No online nodes","result":[]}'


def test_dump_response_tuples_and_opcodes_written_as_json() -> None:
    result: EvacuationResult = ([("inst1", "default", ["node2", "node1"])], [], [[MIGRATE]])
    body = dump_response(True, 'say "hi"\n', result)
    assert body.startswith(b'{"success":true,"info":"say \\"hi\\"\\n","result":[[["inst1","default",["node2"')
    assert b'"OP_ID":"OP_INSTANCE_MIGRATE","instance_name":"inst1","allow_runtime_changes":false' in body
    assert json.loads(body)["result"][2] == [[MIGRATE]]


def test_dump_response_parses_as_iallocator_response() -> None:
    body = dump_response(True, "ok", "node-2-2")
    assert IallocatorResponse.model_validate_json(body) == IallocatorResponse(
        success=True, info="ok", result="node-2-2"
    )


def test_result_adapters_cover_every_request_type() -> None:
    assert set(RESULT_ADAPTERS) == set(REQUEST_TYPES)


@pytest.mark.parametrize(
    ("request_type", "result"),
    [
        ("allocate", ["node2", "node1"]),
        ("relocate", ["node1"]),
        ("multi-allocate", [[["new1", ["node1", "node2"]]], []]),
        ("multi-allocate", ([("new1", ["node1"])], ["new2"])),
        ("node-evacuate", [[["inst1", "default", ["node2", "node1"]]], [], [[MIGRATE]]]),
        ("change-group", [[], [["inst1", "Can't find any good node:"]], []]),
        ("allocate-secondary", "node-2-2"),
        ("multi-evacuate", [["inst1", "node3"], ["inst2", "node1"]]),
    ],
)
def test_validate_result_right_shape_accepted(request_type: str, result: object) -> None:
    validate_result(request_type, result)


@pytest.mark.parametrize(
    ("request_type", "result"),
    [
        ("allocate", "node1"),
        ("allocate", [1]),
        ("relocate", None),
        ("multi-allocate", [[["new1", "node1"]], []]),
        ("multi-allocate", [[]]),
        ("node-evacuate", [[["inst1", ["node2"]]], [], []]),
        ("node-evacuate", [[], [], [["OP_INSTANCE_MIGRATE"]]]),
        ("change-group", []),
        ("allocate-secondary", ["node-2-2"]),
        ("multi-evacuate", [["inst1", "node3", "node4"]]),
    ],
)
def test_validate_result_wrong_shape_raises_value_error(request_type: str, result: object) -> None:
    with pytest.raises(ValueError, match=f"^{request_type} result: "):
        validate_result(request_type, result)


def test_validate_result_unknown_type_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown request type 'foo'"):
        validate_result("foo", [])
