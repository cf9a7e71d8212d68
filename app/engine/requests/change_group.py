"""The `change-group` request: move instances to another node group (`Cluster.hs:
tryChangeGroup`, ALGORITHM.md 5.5).

Per instance, in request order: the target group is chosen as an allocation would choose
it among the allowed groups (whole-cluster score, alloc policy, global N+1), then the
instance moves to the best nodes of that group, always with soft errors enforced.
"""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster
from app.engine.hshow import show_group, show_list
from app.engine.moves.evacplan import evacuation_reply
from app.engine.moves.evacuate import Evacuation, available, evacuate_one
from app.engine.moves.trace import evacuate_traced
from app.engine.options import EngineOptions
from app.engine.placement.place import place
from app.engine.reply import Reply
from app.engine.score.metrics import score_of
from app.protocol.errors import InputError
from app.protocol.request import ChangeGroupRequest


def target_groups(c: Cluster, req: ChangeGroupRequest, order: list[int]) -> list[int]:
    """The requested groups (all groups when none) minus the instances' own groups, with
    Haskell's list difference (one occurrence removed per source group)."""
    targets: list[int] = []
    for k, name in enumerate(req.target_groups):
        found = c.group_index(name)
        if len(found) != 1:
            why = "unknown node group" if not found else "name matches several node groups"
            raise InputError(f"request.target_groups.{k}", f'{why} "{name}"')
        targets.append(found[0])
    if not req.target_groups:
        targets = list(range(len(c.groups)))
    sources = list(dict.fromkeys(int(c.nodes.group[c.instances.pnode[i]]) for i in order))
    for g in sources:
        if g in targets:
            targets.remove(g)
    return targets


def no_groups_text(c: Cluster, allowed: list[int]) -> str:
    """hail's text when no allowed group has a node: its groups printed by Haskell's `show`."""
    groups = [show_group(c.groups[g], g, ()) for g in range(len(c.groups)) if len(c.group_nodes(g))]
    return (
        f"no groups for evacuation: allowed groups was Just {show_list([str(g) for g in allowed])}, "
        f"all groups: {show_list(groups)}"
    )


def move_to_group(c: Cluster, i: int, allowed: list[int], opts: EngineOptions) -> Evacuation:
    """One instance: the best allowed group, then its best nodes there."""
    if not any(len(c.group_nodes(g)) for g in allowed):
        return Evacuation(error=no_groups_text(c, allowed))
    spec = c.instances.specs[i]
    required = 2 if spec.template == "drbd" else 1
    chosen = place(c, spec, required, None, opts.restrict_to, opts, allowed, moving=True)
    if chosen.group is None:
        return Evacuation(error=chosen.text)
    group = chosen.group
    offline = {int(n) for n in np.flatnonzero(c.nodes.offline)}
    return evacuate_one(c, i, "all", group, available(c, group, offline), False, opts.move_trace)


def change_group(c: Cluster, req: ChangeGroupRequest, opts: EngineOptions) -> Reply:
    order = [c.instance_index[name] for name in req.instances]
    allowed = target_groups(c, req, order)
    before = score_of(c, np.arange(len(c.nodes), dtype=np.int64))

    def step(cl: Cluster, i: int) -> Evacuation:
        return move_to_group(cl, i, allowed, opts)

    return evacuation_reply(before, evacuate_traced(c, order, step, opts.move_trace, "all"), order)
