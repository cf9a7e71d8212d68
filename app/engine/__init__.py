"""The engine: pure algorithms turning a parsed request into a reply (no I/O)."""

from __future__ import annotations

from app.cluster.build import build_cluster
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.protocol.document import ClusterDocument


def run_request(doc: ClusterDocument, opts: EngineOptions) -> Reply:
    """Answer one request document."""
    from app.engine import dispatch

    cluster = build_cluster(doc, opts.static_kvm_node_memory)
    return dispatch.run(cluster, doc.request, opts)


__all__ = ["EngineOptions", "Reply", "run_request"]
