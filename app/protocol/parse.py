"""Bytes to ClusterDocument: the one place where pydantic's ValidationError becomes DocumentError.

Every reason reads `<dotted.path>: <plain reason>`, e.g. `nodes.node3.free_memory: expected an
integer, got "lots"`; the whole document is named `(document)`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from app.protocol.document import ClusterDocument
from app.protocol.errors import DocumentError
from app.protocol.fast import bulk_ok, decode, raw_instances
from app.protocol.request import (
    INT_MAX,
    INT_MIN,
    REFERENCE_ERROR,
    REQUEST_TYPES,
    Envelope,
    InputDocument,
    request_references,
)

DOCUMENT = "(document)"

# What a field of each JSON type is called in "expected ..., got ..." reasons.
_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
_GOT_LIMIT = 60


def parse_document(data: bytes | str) -> ClusterDocument:
    """Parse and validate one iallocator input document.

    The small parts go through the pydantic models, the bulk through `fast`; any doubt sends
    the whole document through the models, which name every problem.
    Raises DocumentError (with `errors`, every problem as a (path, reason) pair) on bad input."""
    if not data or data.isspace():
        raise DocumentError(DOCUMENT, "empty input")
    bulk = decode(data)
    if bulk is not None:
        try:
            envelope = Envelope.model_validate(bulk.envelope)
        except ValidationError:
            pass
        else:
            if bulk_ok(bulk, envelope.nodegroups) and not request_references(
                envelope.request, bulk.instances, bulk.nodes
            ):
                return ClusterDocument.from_parts(envelope, bulk.nodes, bulk.instances)
    try:
        full = InputDocument.model_validate_json(data)
    except ValidationError as exc:
        errors = [_describe(e) for e in exc.errors(include_url=False)]
        raise DocumentError(*errors[0], errors=errors) from exc
    # Valid, though the fast checks doubted it: continue with what the models read.
    dumped = full.model_dump(include={"nodes", "instances"})
    return ClusterDocument.from_parts(full, dumped["nodes"], raw_instances(dumped["instances"]))


def _describe(error: Any) -> tuple[str, str]:
    """One pydantic error as (dotted path, reason)."""
    loc: tuple[str | int, ...] = error["loc"]
    kind: str = error["type"]
    value = error["input"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    # A discriminated union puts the tag in the location: ("request", "allocate", "name").
    if len(loc) > 1 and loc[0] == "request" and loc[1] in REQUEST_TYPES:
        loc = loc[:1] + loc[2:]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "type")
    if kind == "json_invalid":
        return DOCUMENT, f"not valid JSON: {ctx.get('error', error['msg'])}"
    if kind == "model_type" and not loc:
        return DOCUMENT, f"expected a JSON object, got {_got(value)}"
    return _path(loc), _reason(kind, value, ctx, error["msg"])


def _reason(kind: str, value: object, ctx: dict[str, Any], msg: str) -> str:
    if kind in ("missing", "union_tag_not_found"):
        return "field required"
    whole = isinstance(value, int) and not isinstance(value, bool)
    if kind == "int_type" and (whole or isinstance(value, float) and value.is_integer()):
        return f"expected an integer from {INT_MIN} to {INT_MAX}, got {_got(value)}"
    if kind == "finite_number":
        return f"expected a finite number, got {_got(value)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_got(value)}"
    if kind == "literal_error":
        allowed = ", ".join(f'"{v}"' for v in re.findall(r"'([^']*)'", ctx["expected"]))
        return f"expected one of {allowed}, got {_got(value)}"
    if kind == "union_tag_invalid":
        tag = value.get("type") if isinstance(value, dict) else ctx["tag"]
        return f"unknown request type {_got(tag)} (expected one of {', '.join(REQUEST_TYPES)})"
    if kind == "too_short":
        return "must not be empty"
    if kind == REFERENCE_ERROR:
        return msg
    return msg[:1].lower() + msg[1:]


def _path(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) if loc else DOCUMENT


def _got(value: object) -> str:
    """The offending value as JSON, or its kind for lists and objects."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _GOT_LIMIT else text[:_GOT_LIMIT] + "..."
