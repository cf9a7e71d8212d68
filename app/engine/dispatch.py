"""One handler per request type."""

from __future__ import annotations

from app.cluster.model import Cluster
from app.engine.allocate import allocate
from app.engine.allocate_secondary import allocate_secondary
from app.engine.change_group import change_group
from app.engine.multi_allocate import multi_allocate
from app.engine.multi_evacuate import multi_evacuate
from app.engine.node_evacuate import node_evacuate
from app.engine.options import EngineOptions
from app.engine.relocate import relocate
from app.engine.reply import Reply
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


def run(c: Cluster, req: Request, opts: EngineOptions) -> Reply:
    if isinstance(req, AllocateRequest):
        return allocate(c, req, opts)
    if isinstance(req, MultiAllocateRequest):
        return multi_allocate(c, req, opts)
    if isinstance(req, AllocateSecondaryRequest):
        return allocate_secondary(c, req, opts)
    if isinstance(req, NodeEvacuateRequest):
        return node_evacuate(c, req, opts)
    if isinstance(req, ChangeGroupRequest):
        return change_group(c, req, opts)
    if isinstance(req, RelocateRequest):
        return relocate(c, req, opts)
    if isinstance(req, MultiEvacuateRequest):
        return multi_evacuate(c, req, opts)
    raise NotImplementedError(req.type)
