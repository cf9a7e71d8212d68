"""The one entry point: request bytes and parameters in, response bytes and a summary out.

bytes -> protocol model -> cluster model -> engine -> response bytes. The CLI and the
service both call `answer`; neither knows anything of the algorithms.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.cluster import build_cluster
from app.engine import EngineOptions, options_from_params, run_request
from app.protocol import dump_response, parse_document, parse_params
from app.protocol.summary import StateSummary, summarize_document

ENGINE_VERSION = "0.1.0"


@dataclass(frozen=True)
class Outcome:
    """The answer Ganeti gets (`body`) and what the decision history records about it."""

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
    engine_seconds: float
    summary: StateSummary  # the cluster as the document describes it
    engine_version: str = ENGINE_VERSION
    warnings: list[str] = field(default_factory=list)


def answer(
    data: bytes,
    params: Sequence[str] = (),
    defaults: Sequence[str] = (),
    retain: list[object] | None = None,
) -> Outcome:
    """Answer one iallocator request. `defaults` are parameters that `params` override
    (a cluster's policy). Raises app.protocol.errors.InputError for bad input.

    The parsed document goes into `retain`, if given, instead of being freed on return: freeing
    tens of thousands of JSON objects takes 5-50 ms, which the caller can spend once the answer
    is out (or never, at exit)."""
    started = time.perf_counter()
    merged = parse_params(defaults) | parse_params(params)
    options, warnings = options_from_params(merged)
    doc = parse_document(data)
    if retain is not None:
        retain.append(doc)
    c = build_cluster(doc, options.static_kvm_node_memory)
    reply = run_request(c, doc.request, options)
    return Outcome(
        body=dump_response(reply.success, reply.info, reply.result) + b"\n",  # one line, as hail prints
        success=reply.success,
        info=reply.info,
        request_type=doc.request.type,
        cluster_name=doc.cluster_name,
        instances=reply.instances,
        nodes=reply.nodes,
        score_before=reply.score_before,
        score_after=reply.score_after,
        document_sha256=hashlib.sha256(data).hexdigest(),
        engine_seconds=time.perf_counter() - started,
        summary=summarize_document(doc),
        warnings=warnings,
    )


__all__ = ["ENGINE_VERSION", "EngineOptions", "Outcome", "answer"]
