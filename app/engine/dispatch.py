"""One handler per request type."""

from __future__ import annotations

from app.cluster.model import Cluster
from app.engine.allocate import allocate
from app.engine.allocate_secondary import allocate_secondary
from app.engine.multi_allocate import multi_allocate
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.protocol.request import (
    AllocateRequest,
    AllocateSecondaryRequest,
    MultiAllocateRequest,
    Request,
)


def run(c: Cluster, req: Request, opts: EngineOptions) -> Reply:
    if isinstance(req, AllocateRequest):
        return allocate(c, req, opts)
    if isinstance(req, MultiAllocateRequest):
        return multi_allocate(c, req, opts)
    if isinstance(req, AllocateSecondaryRequest):
        return allocate_secondary(c, req, opts)
    raise NotImplementedError(req.type)
