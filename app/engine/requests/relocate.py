"""The `relocate` request: a new secondary (DRBD) or a new primary (shared storage) for one
instance (`IAlloc.hs: processRelocate`, ALGORITHM.md 5.3)."""

from __future__ import annotations

from app.cluster.model import SHARED_TEMPLATES, Cluster
from app.engine.moves.evacuate import EvacMode, Evacuation, excluded_nodes
from app.engine.moves.trace import step_traced
from app.engine.options import EngineOptions
from app.engine.reply import Reply, failed
from app.engine.requests.node_evacuate import evacuate_in_group
from app.protocol.request import RelocateRequest


def relocate(c: Cluster, req: RelocateRequest, opts: EngineOptions) -> Reply:
    if req.required_nodes != 1:
        return failed(f"Exchange {req.required_nodes} nodes mode is not implemented", instances=[req.name])
    i = c.instance_index[req.name]
    insts = c.instances
    template = insts.specs[i].template
    mode: EvacMode
    if template == "drbd":
        expected, role, mode = int(insts.snode[i]), "secondary", "secondary-only"
    elif template in SHARED_TEMPLATES:
        expected, role, mode = int(insts.pnode[i]), "primary", "primary-only"
    else:
        return failed("Can't relocate non-mirrored instances", instances=[req.name])
    given = [c.node_index[n] for n in req.relocate_from]
    if given != [expected]:
        shown = "[" + ",".join(str(n) for n in given) + "]"
        text = (
            f"Unsupported request: excluded nodes not equal to instance's {role}({expected} versus {shown})"
        )
        return failed(text, instances=[req.name])
    excluded = excluded_nodes(c, [i], mode)

    def step(cl: Cluster, j: int) -> Evacuation:
        return evacuate_in_group(cl, j, mode, excluded, opts.ignore_soft_errors, opts.move_trace)

    ev = step_traced(c, i, step, opts.move_trace, mode)
    if not ev.ok:
        return failed(ev.error, instances=[req.name])
    node = int(insts.snode[i]) if mode == "secondary-only" else int(insts.pnode[i])
    name = c.nodes.names[node]
    return Reply(True, "Request successful: success", [name], [req.name], [name])
