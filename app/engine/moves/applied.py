"""A decision carried out on the model: the cluster as Ganeti leaves it once it has done what an
answer says (new instances on their nodes, moved instances on their new ones).

`placements` reads them off a successful reply, whatever the request type, as (instance, nodes)
pairs, primary first; `apply_placements` puts them into a model built from the same document.
The service keeps the pairs with a cluster's last document, so its state is that document with
its last decision applied. Pure, no I/O.
"""

from __future__ import annotations

from typing import Any, cast

from app.cluster import request_spec
from app.cluster.model import NO_NODE, Cluster, InstanceSpec
from app.engine.nodeops import add_primary, add_secondary, place_instance, remove_primary, remove_secondary
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

Placement = tuple[str, list[str]]  # instance, its nodes (primary first) once the answer is done


def placements(c: Cluster, req: Request, reply: Reply) -> list[Placement]:
    """Where a reply puts each instance it places or moves (nothing for a failed one); `c` is
    the model as built from the request's document (moves need the instances' other node)."""
    if not reply.success:
        return []
    result = cast(Any, reply.result)
    if isinstance(req, AllocateRequest):
        return [(req.name, list(result))]
    if isinstance(req, MultiAllocateRequest):
        return [(str(name), list(nodes)) for name, nodes in result[0]]
    if isinstance(req, NodeEvacuateRequest | ChangeGroupRequest):
        return [(str(name), list(nodes)) for name, _group, nodes in result[0]]
    insts, names = c.instances, c.nodes.names
    if isinstance(req, AllocateSecondaryRequest):
        return [(req.name, [names[int(insts.pnode[c.instance_index[req.name]])], str(result)])]
    if isinstance(req, MultiEvacuateRequest):
        return [(str(name), [names[int(insts.pnode[c.instance_index[name]])], node]) for name, node in result]
    if isinstance(req, RelocateRequest):
        i = c.instance_index[req.name]
        if insts.snode[i] == NO_NODE:  # shared storage: a new primary
            return [(req.name, list(result))]
        return [(req.name, [names[int(insts.pnode[i])], *result])]
    raise TypeError(f"no placements for {type(req).__name__}")


def apply_placements(c: Cluster, req: Request, done: list[Placement]) -> None:
    """Put every instance of `done` on its nodes in `c` (built from `req`'s document), as Ganeti
    will have it: the nodes' reported free memory falls by what their new primaries use."""
    used = c.nodes.i_mem.copy()
    new = _new_instances(c, req)
    for name, nodes in done:
        at = [c.node_index[n] for n in nodes]
        primary, secondary = at[0], at[1] if len(at) > 1 else NO_NODE
        if name in new:
            place_instance(c, new[name], primary, secondary)
        else:
            i = c.instance_index[name]
            spec = c.instances.specs[i]
            if isinstance(req, AllocateSecondaryRequest):
                spec = spec._replace(template="drbd")
            _reseat(c, i, spec, primary, secondary)
    c.nodes.f_mem -= c.nodes.i_mem - used


def _new_instances(c: Cluster, req: Request) -> dict[str, InstanceSpec]:
    if isinstance(req, AllocateRequest):
        return {req.name: request_spec(req, c)}
    if isinstance(req, MultiAllocateRequest):
        return {e.name: request_spec(e, c) for e in req.instances}
    return {}


def _reseat(c: Cluster, i: int, spec: InstanceSpec, primary: int, secondary: int) -> None:
    """Move instance `i` (now described by `spec`) from its nodes to `primary` and `secondary`."""
    insts = c.instances
    old_p, old_s, old_loc = int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    old = insts.specs[i]
    remove_primary(c, old_p, old, old_loc)
    if old_s != NO_NODE:
        remove_secondary(c, old_s, old, old_p)
    loc = c.pair_location(primary, secondary)
    add_primary(c, primary, spec, loc)
    if secondary != NO_NODE:
        add_secondary(c, secondary, spec, primary)
    insts.specs[i] = spec
    insts.pnode[i], insts.snode[i], insts.loc_score[i] = primary, secondary, loc
