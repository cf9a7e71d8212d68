"""The iallocator response: its envelope, the result shape of each request type, and its bytes.

Shapes follow hail's answers (ALGORITHM.md section 5) and Ganeti's checks of them
(`lib/masterd/iallocator.py`); a failed answer always carries `result: []`.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

# allocate: [primary] or [primary, secondary].
AllocateResult = list[str]
# relocate: [new secondary] (drbd) or [new primary] (shared storage).
RelocateResult = list[str]
# multi-allocate: ([[instance, [nodes]], ...], [failed instance, ...]).
MultiAllocateResult = tuple[list[tuple[str, list[str]]], list[str]]
# node-evacuate and change-group: ([[instance, group name, [nodes]], ...],
# [[instance, reason], ...], [[opcode, ...] per moved instance]).
EvacuationResult = tuple[
    list[tuple[str, str, list[str]]],
    list[tuple[str, str]],
    list[list[dict[str, Any]]],
]
# allocate-secondary: the new secondary's name.
AllocateSecondaryResult = str
# multi-evacuate (legacy, Ganeti 2.2): [[instance, new secondary], ...].
MultiEvacuateResult = list[tuple[str, str]]

RESULT_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "allocate": TypeAdapter(AllocateResult),
    "relocate": TypeAdapter(RelocateResult),
    "multi-allocate": TypeAdapter(MultiAllocateResult),
    "node-evacuate": TypeAdapter(EvacuationResult),
    "change-group": TypeAdapter(EvacuationResult),
    "allocate-secondary": TypeAdapter(AllocateSecondaryResult),
    "multi-evacuate": TypeAdapter(MultiEvacuateResult),
}


class IallocatorResponse(BaseModel):
    """What an iallocator prints: keys in this order, as hail prints them."""

    success: bool = Field(description="false when no placement could be made")
    info: str = Field(description='"Request successful: ..." or "Request failed: ..."')
    result: Any = Field(description="the request type's result on success, [] on failure")


def dump_response(success: bool, info: str, result: object) -> bytes:
    """Compact JSON `{"success":...,"info":...,"result":...}`, without a trailing newline."""
    return orjson.dumps({"success": success, "info": info, "result": result})


def validate_result(request_type: str, result: object) -> None:
    """Raise ValueError unless `result` has the shape of a successful `request_type` answer."""
    adapter = RESULT_ADAPTERS.get(request_type)
    if adapter is None:
        raise ValueError(f"unknown request type {request_type!r}")
    try:
        adapter.validate_python(result, strict=False)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "result"
        raise ValueError(f"{request_type} result: {where}: {first['msg']}") from None
