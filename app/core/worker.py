"""What runs in an engine process: `decide` calls `answer` and prepares what the store keeps;
`explain` and `capacity` answer operators' questions without deciding anything.

Everything crossing the process boundary is a plain picklable value: `Decided`, `Rejected` or
`Crashed`; exceptions are turned into values here, so nothing that fails to unpickle can break
the pool.
"""

from __future__ import annotations

import gc
import json
import math
import re
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import orjson

from app.cluster import build_cluster
from app.core.memory import release_memory
from app.engine import EngineOptions, explain_request, headroom, options_from_params, probe_request
from app.iallocator import Outcome
from app.protocol import Disk, parse_document, parse_params
from app.protocol.errors import InputError, ParameterError

T = TypeVar("T")

# Positional, as `decide` calls it: (data, params, defaults, retain).
AnswerFn = Callable[[bytes, Sequence[str], Sequence[str], list[object]], Outcome]


class Afterwards(list[object]):
    """What a run leaves to do once its answer has been sent: pass one as an argument.

    The pool's worker loop (concurrent.futures) drops a call's arguments only after sending its
    result, so the run answers first, then frees its document (5-50 ms for tens of thousands of
    JSON objects), turns the cyclic collector back on (which would otherwise scan every object
    of it first) and gives the heap back to the system. The caller's copy is never armed."""

    armed = False

    def __del__(self) -> None:
        if self.armed:
            self.clear()
            gc.enable()
            release_memory()


class BodyError(Exception):
    """A request body that cannot be unpacked: `status` 400 (bad gzip) or 413 (too large)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def rejected(self) -> Rejected:
        return Rejected(self.code, None, str(self), self.status)


@dataclass(frozen=True)
class Upload:
    """A request document as the service received it: `content`, gzip-compressed if `gzipped`,
    at most `limit` bytes once unpacked."""

    content: bytes
    gzipped: bool
    limit: int

    @property
    def size(self) -> int:
        """The document's size, as a gzip body's trailer states it (a lane choice, not a limit)."""
        if self.gzipped and len(self.content) >= 4:
            return int.from_bytes(self.content[-4:], "little")
        return len(self.content)

    def unpack(self) -> tuple[bytes, bytes | None]:
        """The document, and the content itself when it can be kept as it is (one gzip member:
        `unpack_document` reads it). BodyError for gzip output beyond `limit` (a gzip bomb) or
        content that is not gzip."""
        if not self.gzipped:
            return self.content, None
        data, out, size = self.content, [], 0
        while data:
            stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                part = stream.decompress(data, self.limit - size + 1)
            except zlib.error as exc:
                raise BodyError(400, "bad_request", f"the body is not valid gzip: {exc}") from exc
            size += len(part)
            if size > self.limit:
                raise BodyError(413, "too_large", f"the document is larger than {self.limit} bytes")
            if not stream.eof:
                raise BodyError(400, "bad_request", "the gzip body is truncated")
            out.append(part)
            data = stream.unused_data
        return b"".join(out), self.content if len(out) == 1 else None


def unpack_document(kept: bytes) -> bytes:
    """A kept document: zlib-compressed, or gzip as the shim sent it."""
    return zlib.decompress(kept, 32 + zlib.MAX_WBITS)  # 32: either header


@dataclass(frozen=True)
class Decided:
    """An answer, with what the cluster state and the decision history need besides."""

    outcome: Outcome
    document_size: int
    document: bytes | None  # compressed input (`unpack_document`), None when over the cap


@dataclass(frozen=True)
class Rejected:
    """Bad input: `code` is bad_parameter or bad_document, `loc` and `msg` come from the
    InputError; a body that cannot be unpacked has no `loc` and its own `status`."""

    code: str
    loc: str | None
    msg: str
    status: int = 400


@dataclass(frozen=True)
class Crashed:
    """The engine raised something other than InputError: a bug. `trace` goes to the log only."""

    error: str
    trace: str


@dataclass(frozen=True)
class Reported:
    """An explanation or a capacity count: the JSON body the API returns (without what the
    service adds), the document's cluster_name and the time spent in the engine."""

    body: dict[str, Any]
    cluster_name: str
    engine_seconds: float


def _guard(work: Callable[[], T], after: Afterwards) -> T | Rejected | Crashed:
    """Run `work`, turning bad input and engine bugs into values. The cyclic garbage collector
    waits until `after` is done: it would rescan every JSON object of a big document while it
    is parsed, and again once it is answered."""
    gc.disable()
    after.armed = True
    try:
        return work()
    except InputError as exc:
        code = "bad_parameter" if isinstance(exc, ParameterError) else "bad_document"
        return Rejected(code, exc.path, exc.reason)
    except BodyError as exc:
        return exc.rejected()
    except Exception as exc:  # a bug in the engine; the service logs it and answers 500
        return Crashed(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def decide(
    answer: AnswerFn,
    after: Afterwards,
    upload: Upload,
    params: Sequence[str],
    defaults: Sequence[str],
    keep_max: int,
) -> Decided | Rejected | Crashed:
    """Answer the request uploaded; keep the document compressed if that is at most `keep_max`
    bytes (a gzip body as the shim sent it: no need to compress it again)."""

    def work() -> Decided:
        data, kept = upload.unpack()
        outcome = answer(data, params, defaults, after)
        document = kept if kept is not None else zlib.compress(data, 1)
        return Decided(outcome, len(data), document if len(document) <= keep_max else None)

    return _guard(work, after)


def _options(params: Sequence[str], defaults: Sequence[str]) -> tuple[EngineOptions, list[str]]:
    """Options from the cluster's default parameters and the request's (which win)."""
    return options_from_params(parse_params(defaults) | parse_params(params))


def explain(
    after: Afterwards, upload: Upload, params: Sequence[str], defaults: Sequence[str], top: int
) -> Reported | Rejected | Crashed:
    """Run a request without deciding: its answer, the `top` best candidates, the rejections."""

    def work() -> Reported:
        started = time.perf_counter()
        options, warnings = _options(params, defaults)
        doc = parse_document(upload.unpack()[0])
        after.append(doc)
        c = build_cluster(doc, options.static_kvm_node_memory)
        found = explain_request(c, doc.request, options, top)
        reply = found.reply
        report = {
            "request_type": doc.request.type,
            "answer": {"success": reply.success, "info": reply.info, "result": reply.result},
            "candidates": [asdict(c) for c in found.candidates],
            "rejected": {name: asdict(r) for name, r in found.rejected.items()},
            "warnings": warnings,
        }
        return Reported(_finite(report), doc.cluster_name, time.perf_counter() - started)

    return _guard(work, after)


def _finite(value: Any) -> Any:
    """`value` with NaN and infinite numbers (a degenerate score) as None: JSON has neither."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def capacity(
    after: Afterwards,
    document: bytes,
    shape: dict[str, Any],
    params: Sequence[str],
    defaults: Sequence[str],
    limit: int,
    budget: float,
) -> Reported | Rejected | Crashed:
    """How many more instances of `shape` fit in a kept (zlib) document, at most `limit`,
    computed for at most `budget` seconds."""

    def work() -> Reported:
        started = time.perf_counter()
        options, warnings = _options(params, defaults)
        doc = parse_document(unpack_document(document))
        after.append(doc)
        disks = [Disk.model_validate(d) for d in shape["disks"]]
        req = probe_request(**(shape | {"disks": disks}))
        c = build_cluster(doc, options.static_kvm_node_memory)
        room = headroom(c, req, options, limit, budget)
        instance = req.model_dump(
            include=set(shape) | {"required_nodes"}, exclude={"disks": {"__all__": {"mode"}}}
        )
        body = asdict(room) | {
            "instance": instance,
            "capped": room.capped_by is not None,
            "warnings": warnings,
        }
        return Reported(_finite(body), doc.cluster_name, time.perf_counter() - started)

    return _guard(work, after)


def read_cluster_name(upload: Upload) -> str | Rejected:
    """The document's top-level cluster_name by a full parse (when `peek_cluster_name` can't tell)."""
    try:
        doc: Any = orjson.loads(upload.unpack()[0])
    except BodyError as exc:
        return exc.rejected()
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
