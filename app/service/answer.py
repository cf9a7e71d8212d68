"""The one entry point of a decision: request bytes and parameters in, response bytes and what
the history records out. bytes -> protocol model -> cluster model -> engine -> response bytes.

The CLI and the service's decide job both call `answer`; neither knows anything of the algorithms.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.cluster import Cluster, build_cluster, summarize
from app.engine import EngineOptions, Placement, Reply, apply_placements, placements, run_request
from app.protocol import ClusterDocument, dump_response, parse_document
from app.protocol.summary import StateSummary
from app.service.params import engine_options
from app.store.records import DecisionFacts

ENGINE_VERSION = "0.1.0"
log = logging.getLogger(__name__)


class WrongCluster(Exception):
    """The document names another cluster than the one the request is made for."""

    def __init__(self, named: str, cluster: str) -> None:
        super().__init__(f"the document is for {named!r}, not {cluster!r}")


@dataclass(frozen=True)
class Outcome:
    """The answer Ganeti gets (`body`) and what the decision history records about it."""

    body: bytes
    cluster_name: str  # as the document names it ("" for none)
    facts: DecisionFacts
    summary: StateSummary  # the cluster as the document describes it, the decision applied
    placements: list[Placement]  # what the decision places or moves where (none if it failed)


class AnswerFn(Protocol):
    """`answer`'s signature: the service takes another one in tests (a module-level function)."""

    def __call__(
        self,
        data: bytes,
        params: Sequence[str] = (),
        defaults: Sequence[str] = (),
        *,
        cluster: str | None = None,
        retain: list[object] | None = None,
    ) -> Outcome: ...


def check_cluster(named: str, cluster: str | None) -> None:
    """WrongCluster unless a document naming `named` may be answered for `cluster` (None: any).
    A document naming no cluster (Ganeti's own test inputs) is taken as the request's."""
    if cluster is not None and named and named != cluster:
        raise WrongCluster(named, cluster)


def read_request(
    data: bytes, options: EngineOptions, cluster: str | None, retain: list[object] | None
) -> tuple[ClusterDocument, Cluster]:
    """The parsed document (kept in `retain`, if given) and its cluster model, once the document
    is known to be for `cluster` (None: any): what every engine run starts from."""
    doc = parse_document(data)
    if retain is not None:
        retain.append(doc)
    check_cluster(doc.cluster_name, cluster)
    return doc, build_cluster(doc, options.static_kvm_node_memory)


def read_state(
    data: bytes,
    done: Sequence[Placement],
    options: EngineOptions,
    cluster: str | None,
    retain: list[object] | None,
) -> tuple[ClusterDocument, Cluster]:
    """A cluster state: a document for `cluster` (None: any) with a decision's placements
    applied, as Ganeti has it once that decision is carried out (none: the document as it is)."""
    doc, c = read_request(data, options, cluster, retain)
    if done:
        apply_placements(c, doc.request, list(done))
    return doc, c


def answer(
    data: bytes,
    params: Sequence[str] = (),
    defaults: Sequence[str] = (),
    *,
    cluster: str | None = None,
    retain: list[object] | None = None,
) -> Outcome:
    """Answer one iallocator request. `defaults` are parameters that `params` override (a
    cluster's policy); a document for another `cluster` is refused before the engine runs.
    Raises app.protocol.errors.InputError for bad input.

    The parsed document goes into `retain`, if given, instead of being freed on return: freeing
    tens of thousands of JSON objects takes 5-50 ms, which the caller can spend once the answer
    is out (or never, at exit)."""
    started = time.perf_counter()
    options, warnings = engine_options(params, defaults)
    doc, c = read_request(data, options, cluster, retain)
    state = c.copy()  # the engine may change `c`
    reply = run_request(c, doc.request, options)
    summary, done = _applied(doc, state, reply, options)
    body = _body(reply)
    facts = DecisionFacts(
        request_type=doc.request.type,
        success=reply.success,
        info=reply.info,
        instances=reply.instances,
        nodes=reply.nodes,
        score_before=reply.score_before,
        score_after=reply.score_after,
        engine_version=ENGINE_VERSION,
        engine_seconds=time.perf_counter() - started,
        document_sha256=hashlib.sha256(data).hexdigest(),
        warnings=warnings,
    )
    return Outcome(body, doc.cluster_name, facts, summary, done)


def reply_only(
    data: bytes, params: Sequence[str], retain: list[object] | None = None
) -> tuple[bytes, list[str]]:
    """What the CLI prints: the response to a request and the warnings about its parameters,
    as `answer` gives them, without what only the service keeps (the state after the decision,
    the facts of the history)."""
    options, warnings = engine_options(params)
    doc, c = read_request(data, options, None, retain)
    return _body(run_request(c, doc.request, options)), warnings


def _body(reply: Reply) -> bytes:
    return dump_response(reply.success, reply.info, reply.result) + b"\n"  # one line, as hail prints


def _applied(
    doc: ClusterDocument, state: Cluster, reply: Reply, options: EngineOptions
) -> tuple[StateSummary, list[Placement]]:
    """The state once `reply` is carried out, summed up, and its placements. The answer never
    depends on this bookkeeping: should it fail, the state kept is the document as it came."""
    try:
        done = placements(state, doc.request, reply)
        apply_placements(state, doc.request, done)
        return summarize(doc, state), done
    except Exception:  # a bug here must not cost Ganeti its answer
        log.exception(
            "the decision could not be applied to the kept state", extra={"cluster": doc.cluster_name}
        )
        return summarize(doc, build_cluster(doc, options.static_kvm_node_memory)), []
