"""The `node-evacuate` request: move instances off their nodes inside their group
(`Evacuate.hs: tryNodeEvac`, ALGORITHM.md 5.4)."""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster
from app.engine.moves.evacplan import evacuation_reply
from app.engine.moves.evacuate import EvacMode, Evacuation, available, evacuate_one, excluded_nodes
from app.engine.moves.trace import MoveTrace, evacuate_traced
from app.engine.options import EngineOptions
from app.engine.reply import Reply
from app.engine.score.metrics import score_of
from app.protocol.request import NodeEvacuateRequest


def evacuate_in_group(
    c: Cluster, i: int, mode: EvacMode, excluded: set[int], force: bool, trace: MoveTrace | None = None
) -> Evacuation:
    """One instance, inside the group of its primary, never onto an excluded node."""
    primary = int(c.instances.pnode[i])
    group = int(c.nodes.group[primary])
    return evacuate_one(c, i, mode, group, available(c, group, excluded | {primary}), force, trace)


def node_evacuate(c: Cluster, req: NodeEvacuateRequest, opts: EngineOptions) -> Reply:
    order = [c.instance_index[name] for name in req.instances]
    excluded = excluded_nodes(c, order, req.evac_mode)
    before = score_of(c, np.arange(len(c.nodes), dtype=np.int64))

    def step(cl: Cluster, i: int) -> Evacuation:
        return evacuate_in_group(cl, i, req.evac_mode, excluded, opts.ignore_soft_errors, opts.move_trace)

    plan = evacuate_traced(c, order, step, opts.move_trace, req.evac_mode)
    return evacuation_reply(before, plan, order)
