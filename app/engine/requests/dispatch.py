"""The handler of each request type, imported when a request of that type first comes."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from app.cluster.model import Cluster
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.protocol.request import Request

Handler = Callable[[Cluster, Any, EngineOptions], Reply]  # each takes its own request class
# Request type -> the module of app.engine.requests handling it, named as its handler.
HANDLERS = {
    "allocate": "allocate",
    "multi-allocate": "multi_allocate",
    "allocate-secondary": "allocate_secondary",
    "node-evacuate": "node_evacuate",
    "change-group": "change_group",
    "relocate": "relocate",
    "multi-evacuate": "multi_evacuate",
}


def handler(request_type: str) -> Handler:
    name = HANDLERS[request_type]
    found: Handler = getattr(import_module(f"app.engine.requests.{name}"), name)
    return found


def run_request(c: Cluster, req: Request, opts: EngineOptions) -> Reply:
    """Answer one request on the cluster `c` (which it may change)."""
    return handler(req.type)(c, req, opts)
