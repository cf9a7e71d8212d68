"""What runs in an engine process: `decide` calls `answer` and prepares what the store keeps.

Everything crossing the process boundary is a plain picklable value: `Decided`, `Rejected` or
`Crashed`; exceptions are turned into values here, so nothing that fails to unpickle can break
the pool. The service never needs the engine's own types.
"""

from __future__ import annotations

import json
import re
import traceback
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from app.core.summary import StateSummary, summarize
from app.protocol.errors import InputError, ParameterError


class OutcomeLike(Protocol):
    """What the service reads of app.iallocator.Outcome."""

    @property
    def body(self) -> bytes: ...
    @property
    def success(self) -> bool: ...
    @property
    def info(self) -> str: ...
    @property
    def request_type(self) -> str: ...
    @property
    def cluster_name(self) -> str: ...
    @property
    def instances(self) -> list[str]: ...
    @property
    def nodes(self) -> list[str]: ...
    @property
    def score_before(self) -> float | None: ...
    @property
    def score_after(self) -> float | None: ...
    @property
    def document_sha256(self) -> str: ...
    @property
    def engine_seconds(self) -> float: ...
    @property
    def engine_version(self) -> str: ...
    @property
    def warnings(self) -> list[str]: ...


class AnswerFn(Protocol):
    """The signature of app.iallocator.answer (a module-level function, so it pickles)."""

    def __call__(
        self, data: bytes, params: Sequence[str] = (), defaults: Sequence[str] = ()
    ) -> OutcomeLike: ...


@dataclass(frozen=True)
class Decided:
    """An answer, with what the decision history and the cluster state need."""

    body: bytes
    success: bool
    info: str
    request_type: str
    cluster_name: str
    instances: list[str]
    nodes: list[str]
    score_before: float | None
    score_after: float | None
    document_sha256: str
    document_size: int
    engine_seconds: float
    engine_version: str
    warnings: list[str]
    summary: StateSummary
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
    return Decided(
        body=outcome.body,
        success=outcome.success,
        info=outcome.info,
        request_type=outcome.request_type,
        cluster_name=outcome.cluster_name,
        instances=list(outcome.instances),
        nodes=list(outcome.nodes),
        score_before=outcome.score_before,
        score_after=outcome.score_after,
        document_sha256=outcome.document_sha256,
        document_size=len(data),
        engine_seconds=outcome.engine_seconds,
        engine_version=outcome.engine_version,
        warnings=list(outcome.warnings),
        summary=summary,
        document=zlib.compress(data, 1) if len(data) <= keep_max else None,
    )


def read_cluster_name(data: bytes) -> str | Rejected:
    """The document's top-level cluster_name by a full parse (when `peek_cluster_name` can't tell)."""
    try:
        doc: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Rejected("bad_document", "", f"not valid JSON: {exc}")
    name = doc.get("cluster_name") if isinstance(doc, dict) else None
    if not isinstance(name, str):
        return Rejected("bad_document", "cluster_name", "missing or not a string")
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
