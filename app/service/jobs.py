"""The engine jobs: one frozen dataclass per kind of work an engine process does for the service
(decide, explain, count capacity, balance), each with what it needs and a `run` that does it there.

A job and its result cross the process boundary, so both are plain picklable values. `execute`
runs a job and turns its failures into values (`Rejected`, `Crashed`): nothing that fails to
unpickle can break the pool. The document is unpacked and parsed once, in the engine process.
"""

from __future__ import annotations

import gc
import math
import signal
import time
import traceback
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar

from app.cluster import Cluster, summarize
from app.engine import (
    BalanceOptions,
    EngineOptions,
    Headroom,
    Placement,
    explain_request,
    group_outlook,
    headroom,
    probe_request,
)
from app.protocol import ClusterDocument, Disk
from app.protocol.errors import InputError, ParameterError
from app.protocol.request import AllocateRequest, DiskTemplate
from app.service.answer import AnswerFn, Outcome, WrongCluster
from app.service.balance import Changes, plan_document
from app.service.memory import TRIM_AFTER, release_memory
from app.service.params import engine_options
from app.service.states import state_of
from app.service.upload import BodyError, Document, Upload

R = TypeVar("R", covariant=True)


class Afterwards(list[object]):
    """What a run leaves to do once its answer has been sent: `execute` takes one.

    The pool's worker loop (concurrent.futures) drops a call's arguments only after sending its
    result, so the run answers first, then frees its document (5-50 ms for tens of thousands of
    JSON objects), turns the cyclic collector back on (which would otherwise scan every object
    of it first) and, after a large document, gives the heap back to the system. The caller's
    copy is never armed."""

    armed = False
    trim = False

    def __del__(self) -> None:
        if self.armed:
            self.clear()
            gc.enable()
            if self.trim:
                release_memory()


@dataclass(frozen=True)
class Rejected:
    """Bad input: `code` is bad_parameter, bad_document, bad_request, too_large or forbidden;
    `loc` names the field at fault (None: the body as a whole)."""

    code: str
    loc: str | None
    msg: str
    status: int = 400


@dataclass(frozen=True)
class Crashed:
    """The engine raised something other than bad input: a bug. `trace` goes to the log only."""

    error: str
    trace: str


@dataclass(frozen=True)
class Decided:
    """An answer, with what the cluster state and the decision history need besides."""

    outcome: Outcome
    document_size: int
    document: bytes | None  # compressed input (`unpack_document`), None when over the cap


@dataclass(frozen=True)
class Reported:
    """An explanation or a capacity count: the JSON body the API returns (without what the
    service adds), the document's cluster_name and the time spent in the engine."""

    body: dict[str, Any]
    cluster_name: str
    engine_seconds: float


class Job(Protocol[R]):
    """What the engine pool runs: `size` (bytes of its document) picks the pool's lane."""

    @property
    def size(self) -> int: ...

    def run(self, after: Afterwards) -> R: ...


@dataclass(frozen=True)
class TimedOut:
    """The run was ended after `seconds`: its request had timed out (the worker is free again)."""

    seconds: float


class _Overtime(BaseException):
    """Raised into a run past its time; a BaseException, so that no `except Exception` on the
    way (the engine's, the bookkeeping's) takes it for an error of its own."""


def _overtime(_signum: int, _frame: object) -> None:
    raise _Overtime


def execute(
    job: Job[R], after: Afterwards, seconds: float | None = None
) -> R | Rejected | Crashed | TimedOut:
    """Run `job`, turning bad input and engine bugs into values, and ending it after `seconds`
    (None: never; in an engine process only, whose main thread runs the job). The cyclic
    garbage collector waits until `after` is done: it would rescan every JSON object of a big
    document while it is parsed, and again once it is answered."""
    gc.disable()
    after.armed = True
    after.trim = job.size >= TRIM_AFTER
    try:
        if seconds is not None:
            signal.signal(signal.SIGALRM, _overtime)
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
        try:
            return _outcome(job, after)
        finally:  # no alarm past this point, wherever the run was when it ended
            if seconds is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Overtime:
        return TimedOut(seconds or 0.0)


def _outcome(job: Job[R], after: Afterwards) -> R | Rejected | Crashed:
    try:
        return job.run(after)
    except InputError as exc:
        code = "bad_parameter" if isinstance(exc, ParameterError) else "bad_document"
        return Rejected(code, exc.path, exc.reason)
    except BodyError as exc:
        return Rejected(exc.code, None, str(exc), exc.status)
    except WrongCluster as exc:
        return Rejected("forbidden", None, str(exc), 403)
    except Exception as exc:  # a bug in the engine; the service logs it and answers 500
        return Crashed(f"{type(exc).__name__}: {exc}", traceback.format_exc())


@dataclass(frozen=True)
class DecideJob:
    """Answer an uploaded request for `cluster` with `answer` (a module-level function); keep the
    document compressed if that is at most `keep_max` bytes (a gzip body as the shim sent it)."""

    answer: AnswerFn
    upload: Upload
    cluster: str
    params: Sequence[str]
    defaults: Sequence[str]
    keep_max: int

    @property
    def size(self) -> int:
        return self.upload.size

    def run(self, after: Afterwards) -> Decided:
        data, kept = self.upload.unpack()
        outcome = self.answer(data, self.params, self.defaults, cluster=self.cluster, retain=after)
        document = kept if kept is not None else zlib.compress(data, 1)
        return Decided(outcome, len(data), document if len(document) <= self.keep_max else None)


@dataclass(frozen=True)
class ExplainJob:
    """Run a request (uploaded, or a decision's kept document) for `cluster` without deciding:
    its answer, the `top` best candidates (per instance placed or moved), the rejections."""

    upload: Document
    cluster: str
    params: Sequence[str]
    defaults: Sequence[str]
    top: int

    @property
    def size(self) -> int:
        return self.upload.size

    def run(self, after: Afterwards) -> Reported:
        started = time.perf_counter()
        options, warnings = engine_options(self.params, self.defaults)
        doc, c = state_of(self.upload, (), options, self.cluster, after)
        found = explain_request(c, doc.request, options, self.top)
        reply = found.reply
        report = {
            "request_type": doc.request.type,
            "answer": {"success": reply.success, "info": reply.info, "result": reply.result},
            "candidates": [asdict(cand) for cand in found.candidates],
            "rejected": {name: asdict(r) for name, r in found.rejected.items()},
            "moves": [asdict(move) for move in found.moves],
            "warnings": warnings,
        }
        return Reported(_finite(report), doc.cluster_name, time.perf_counter() - started)


@dataclass(frozen=True)
class InstanceProbe:
    """The shape of an instance to fit: MiB, counts and the disks as (size, spindles)."""

    memory: int
    vcpus: int
    disk_template: DiskTemplate
    disks: tuple[tuple[int, int | None], ...]
    spindle_use: int = 1
    disk_space_total: int | None = None  # None: as Ganeti computes it

    def request(self) -> AllocateRequest:
        disks = [Disk(size=size, spindles=spindles) for size, spindles in self.disks]
        return probe_request(
            self.memory, self.vcpus, self.disk_template, disks, self.spindle_use, self.disk_space_total
        )


@dataclass(frozen=True)
class CapacityJob:
    """How many more instances of `probe` fit in a document for `cluster` with `placements`
    applied (the kept state), or as it is (a caller's what-if, no placements), at most `limit`,
    computed for at most `budget` seconds."""

    document: Document
    cluster: str
    placements: tuple[Placement, ...]
    probe: InstanceProbe
    params: Sequence[str]
    defaults: Sequence[str]
    limit: int
    budget: float

    @property
    def size(self) -> int:
        return self.document.size

    def run(self, after: Afterwards) -> Reported:
        started = time.perf_counter()
        options, warnings = engine_options(self.params, self.defaults)
        doc, c = state_of(self.document, self.placements, options, self.cluster, after)
        body = _room(c, self.probe.request(), options, self.limit, self.budget) | {"warnings": warnings}
        return Reported(_finite(body), doc.cluster_name, time.perf_counter() - started)


@dataclass(frozen=True)
class GroupsJob:
    """Each group of a kept state (compressed document, placements applied): its figures, how
    many more of its standard instance fit (at most `limit`, in `budget` seconds in all), its
    N+1 failures, its offline and drained nodes; and the room for `probe`, if given."""

    document: Document
    placements: tuple[Placement, ...]
    params: Sequence[str]
    defaults: Sequence[str]
    limit: int
    budget: float
    probe: InstanceProbe | None = None

    @property
    def size(self) -> int:
        return self.document.size

    def run(self, after: Afterwards) -> Reported:
        started = time.perf_counter()
        options, warnings = engine_options(self.params, self.defaults)
        doc, c = state_of(self.document, self.placements, options, None, after)
        share = self.budget / 2 if self.probe is not None else self.budget
        summary = {g.name: g.model_dump() for g in summarize(doc, c).groups}
        unavailable = _unavailable(doc)
        groups = []
        for outlook in group_outlook(c, options, self.limit, share):
            room = None
            if outlook.standard is not None and outlook.room is not None:
                room = _room_body(outlook.standard, outlook.room)
            groups.append(
                summary[outlook.group]
                | unavailable.get(outlook.group, {"offline_nodes": [], "drained_nodes": []})
                | {"standard": room, "failing_n1_nodes": [asdict(f) for f in outlook.failing_n1]}
            )
        body: dict[str, Any] = {"nodes": len(doc.nodes), "instances": len(c.instances), "groups": groups}
        if self.probe is not None:
            body["probe"] = _room(c, self.probe.request(), options, self.limit, share)
        body["warnings"] = warnings
        return Reported(_finite(body), doc.cluster_name, time.perf_counter() - started)


@dataclass(frozen=True)
class BalanceJob:
    """hbal's plan for a document sent with the call, or for a kept state (its document with
    its `placements` applied), searched for at most `budget` seconds."""

    options: BalanceOptions
    params: Sequence[str]
    defaults: Sequence[str]
    budget: float
    document: Document
    placements: tuple[Placement, ...] = ()
    changes: Changes = Changes()

    @property
    def size(self) -> int:
        return self.document.size

    def run(self, after: Afterwards) -> Reported:
        started = time.perf_counter()
        options, warnings = engine_options(self.params, self.defaults)
        _, body = plan_document(
            self.document.unpack()[0],
            self.options,
            static_kvm_node_memory=options.static_kvm_node_memory,
            changes=self.changes,
            done=self.placements,
            seconds=self.budget,
        )
        return Reported(
            _finite(body | {"warnings": warnings}), body["cluster"], time.perf_counter() - started
        )


def _unavailable(doc: ClusterDocument) -> dict[str, dict[str, list[str]]]:
    """Per group name: its offline and its drained nodes, by name."""
    names = {uuid: g.name for uuid, g in doc.nodegroups.items()}
    out: dict[str, dict[str, list[str]]] = {}
    for name, node in doc.nodes.items():
        lists = out.setdefault(names[node["group"]], {"offline_nodes": [], "drained_nodes": []})
        for flag in ("offline", "drained"):
            if node[flag]:
                lists[f"{flag}_nodes"].append(name)
    return out


def _room(
    c: Cluster, req: AllocateRequest, options: EngineOptions, limit: int, budget: float
) -> dict[str, Any]:
    """How many more instances of `req` fit in `c` (counted on it: `c` is changed)."""
    return _room_body(req, headroom(c, req, options, limit, budget))


def _room_body(req: AllocateRequest, room: Headroom) -> dict[str, Any]:
    instance = {
        "memory": req.memory,
        "vcpus": req.vcpus,
        "disk_template": req.disk_template,
        "disks": [{"size": d.size, "spindles": d.spindles} for d in req.disks],
        "spindle_use": req.spindle_use,
        "disk_space_total": req.disk_space_total,
        "required_nodes": req.required_nodes,
    }
    return asdict(room) | {"instance": instance, "capped": room.capped_by is not None}


def _finite(value: Any) -> Any:
    """`value` with NaN and infinite numbers (a degenerate score) as None: JSON has neither."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
