"""The engine: pure algorithms turning a parsed request into a reply (no I/O)."""

from __future__ import annotations

from app.cluster.build import build_cluster
from app.engine.explain import DEFAULT_TOP, Explanation, explain_request
from app.engine.headroom import DEFAULT_LIMIT, Headroom, headroom, probe_request
from app.engine.options import EngineOptions, options_from_params
from app.engine.reply import Reply
from app.protocol.document import ClusterDocument


def run_request(doc: ClusterDocument, opts: EngineOptions) -> Reply:
    """Answer one request document."""
    from app.engine import dispatch

    cluster = build_cluster(doc, opts.static_kvm_node_memory)
    return dispatch.run(cluster, doc.request, opts)


__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_TOP",
    "EngineOptions",
    "Explanation",
    "Headroom",
    "Reply",
    "explain_request",
    "headroom",
    "options_from_params",
    "probe_request",
    "run_request",
]
