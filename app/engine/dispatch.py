"""One handler per request type."""

from __future__ import annotations

from app.cluster.model import Cluster
from app.engine.allocate import allocate
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.protocol.request import AllocateRequest, Request


def run(c: Cluster, req: Request, opts: EngineOptions) -> Reply:
    if isinstance(req, AllocateRequest):
        return allocate(c, req, opts)
    raise NotImplementedError(req.type)
