"""The `allocate` request: one new instance (ALGORITHM.md 5.2, 7.1)."""

from __future__ import annotations

from app.cluster.build import request_spec
from app.cluster.model import Cluster
from app.engine.options import EngineOptions
from app.engine.placement.dedicated import dedicated_applies, place_dedicated
from app.engine.placement.place import place
from app.engine.reply import Reply, failed
from app.protocol.request import AllocateRequest


def restriction(opts: EngineOptions, requested: list[str] | None) -> tuple[str, ...] | None:
    """`--restrict-allocation-to` replaces the request's `restrict-to-nodes`."""
    if opts.restrict_to is not None:
        return opts.restrict_to
    return tuple(requested) if requested is not None else None


def allocate(c: Cluster, req: AllocateRequest, opts: EngineOptions) -> Reply:
    spec = request_spec(req, c)
    restrict = restriction(opts, req.restrict_to_nodes)
    if dedicated_applies(c, req.group_name):
        pl = place_dedicated(c, spec, req.required_nodes, req.group_name, restrict, opts)
    else:
        pl = place(c, spec, req.required_nodes, req.group_name, restrict, opts)
    if not pl.found:
        return failed(pl.text, pl.why, [req.name])
    names = [c.nodes.names[n] for n in pl.nodes]
    return Reply(
        True,
        f"Request successful: {pl.text}",
        names,
        [req.name],
        names,
        pl.score_before,
        pl.score_after,
    )
