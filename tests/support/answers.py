"""Our engine's answer to a hand-made document, held to every check an answer must pass:
the independent validity check, Ganeti 3.0's result validation (the request class's
REQ_RESULT; Ganeti 2.2's shape for multi-evacuate) and, for jobs, Ganeti's opcode loader."""

from __future__ import annotations

from typing import Any

from tests.support import docs as d
from tests.support.ganeti import ganeti_available, validate_opcode, validate_response
from tests.support.validity import check_answer

EVACUATIONS = ("node-evacuate", "change-group")


def checked_run(doc: d.Doc, *params: str) -> dict[str, Any]:
    """The decoded response, after asserting that Ganeti and the validity check accept it."""
    response = d.run(doc, *params)
    kind = doc["request"]["type"]
    if kind != "multi-evacuate":
        check_answer(doc, response, params)
    if ganeti_available():
        validate_response(doc, response)
        if kind in EVACUATIONS and response["success"]:
            for job in response["result"][2]:
                for op in job:
                    validate_opcode(op)
    return response
