"""The handler of each request type, as a table from the request's class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.cluster.model import Cluster
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.engine.requests.allocate import allocate
from app.engine.requests.allocate_secondary import allocate_secondary
from app.engine.requests.change_group import change_group
from app.engine.requests.multi_allocate import multi_allocate
from app.engine.requests.multi_evacuate import multi_evacuate
from app.engine.requests.node_evacuate import node_evacuate
from app.engine.requests.relocate import relocate
from app.protocol.request import (
    AllocateRequest,
    AllocateSecondaryRequest,
    ChangeGroupRequest,
    MultiAllocateRequest,
    MultiEvacuateRequest,
    NodeEvacuateRequest,
    RelocateRequest,
    Request,
)

Handler = Callable[[Cluster, Any, EngineOptions], Reply]  # each takes its own request class
HANDLERS: dict[type[Request], Handler] = {
    AllocateRequest: allocate,
    MultiAllocateRequest: multi_allocate,
    AllocateSecondaryRequest: allocate_secondary,
    NodeEvacuateRequest: node_evacuate,
    ChangeGroupRequest: change_group,
    RelocateRequest: relocate,
    MultiEvacuateRequest: multi_evacuate,
}


def run_request(c: Cluster, req: Request, opts: EngineOptions) -> Reply:
    """Answer one request on the cluster `c` (which it may change)."""
    return HANDLERS[type(req)](c, req, opts)
