"""What runs in an engine process: `decide` calls `answer` and prepares what the store keeps.

Everything crossing the process boundary is a plain picklable value: `Decided`, `Rejected` or
`Crashed`; exceptions are turned into values here, so nothing that fails to unpickle can break
the pool.
"""

from __future__ import annotations

import json
import re
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.core.summary import StateSummary, summarize
from app.iallocator import Outcome
from app.protocol.errors import InputError, ParameterError

# Positional, as `decide` calls it: (data, params, defaults).
AnswerFn = Callable[[bytes, Sequence[str], Sequence[str]], Outcome]


@dataclass(frozen=True)
class Decided:
    """An answer, with what the cluster state and the decision history need besides."""

    outcome: Outcome
    summary: StateSummary
    document_size: int
    document: bytes | None  # zlib-compressed input, None when larger than the cap


@dataclass(frozen=True)
class Rejected:
    """Bad input: `code` is bad_parameter or bad_document, `loc` and `msg` come from the InputError."""

    code: str
    loc: str
    msg: str


@dataclass(frozen=True)
class Crashed:
    """The engine raised something other than InputError: a bug. `trace` goes to the log only."""

    error: str
    trace: str


def decide(
    answer: AnswerFn, data: bytes, params: Sequence[str], defaults: Sequence[str], keep_max: int
) -> Decided | Rejected | Crashed:
    """Answer one request; keep the document compressed if it is at most `keep_max` bytes."""
    try:
        outcome = answer(data, params, defaults)
        summary = summarize(orjson.loads(data))
    except InputError as exc:
        code = "bad_parameter" if isinstance(exc, ParameterError) else "bad_document"
        return Rejected(code, exc.path, exc.reason)
    except Exception as exc:  # a bug in the engine; the service logs it and answers 500
        return Crashed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
    document = zlib.compress(data, 1) if len(data) <= keep_max else None
    return Decided(outcome, summary, len(data), document)


def read_cluster_name(data: bytes) -> str | Rejected:
    """The document's top-level cluster_name by a full parse (when `peek_cluster_name` can't tell)."""
    try:
        doc: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Rejected("bad_document", "", f"not valid JSON: {exc}")
    name = doc.get("cluster_name") if isinstance(doc, dict) else None
    if not isinstance(name, str) or not name:
        return Rejected("bad_document", "cluster_name", "missing or empty: the admin token needs it")
    return name


# Ganeti writes `{"version": 2, "cluster_name": "...", ...}`: scalar members come first.
_MEMBER = re.compile(rb'\s*"((?:[^"\\]|\\.)*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9.eE+-]+|true|false|null)\s*,')
_START = re.compile(rb"\s*\{")


def peek_cluster_name(data: bytes, limit: int = 4096) -> str | None:
    """cluster_name when it is among the leading scalar members of the top-level object, else None.

    Cheap and exact for Ganeti's documents; never a substitute for checking the parsed document
    (a duplicate key later on would win there)."""
    head = data[:limit]
    match = _START.match(head)
    pos = match.end() if match else len(head)
    while match and (match := _MEMBER.match(head, pos)):
        pos = match.end()
        try:
            key = json.loads(b'"' + match[1] + b'"')
            if key == "cluster_name":
                value = json.loads(match[2])
                return value if isinstance(value, str) else None
        except ValueError:
            return None
    return None
