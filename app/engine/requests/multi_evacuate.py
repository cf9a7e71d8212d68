"""The legacy `multi-evacuate` request of Ganeti 2.2-2.4 (doc/iallocator-protocol-v2): a new
secondary for every DRBD instance whose secondary is on one of `evac_nodes`.

hail 3.0 no longer answers it; this follows what hail of that time did (`tryMGEvac`): the
instances in input order, each given the best new secondary of its group (as node-evacuate
secondary-only chooses it: never an evacuated, offline or own primary node), each seeing
the moves before it. Ganeti 2.x gives up the whole evacuation when the allocator fails,
and a partial answer would leave secondaries on the nodes, so the request fails as a
whole when any instance cannot be moved (after the retries of `evacplan`). The result is
`[[instance, new secondary], ...]`, the shape Ganeti 2.2 checks
(`ht.TListOf(ht.TAnd(ht.TIsLength(2), _STRING_LIST))`).
"""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster
from app.engine.moves.evacuate import Evacuation
from app.engine.moves.trace import evacuate_traced
from app.engine.options import EngineOptions
from app.engine.reply import Reply, failed
from app.engine.requests.node_evacuate import evacuate_in_group
from app.engine.score.metrics import score_of
from app.protocol.request import MultiEvacuateRequest


def multi_evacuate(c: Cluster, req: MultiEvacuateRequest, opts: EngineOptions) -> Reply:
    evac = {c.node_index[name] for name in req.evac_nodes}
    insts = c.instances
    order = [
        i for i in range(len(insts)) if insts.specs[i].template == "drbd" and int(insts.snode[i]) in evac
    ]
    names = [insts.names[i] for i in order]
    excluded = evac | {int(n) for n in np.flatnonzero(c.nodes.offline)}
    everything = np.arange(len(c.nodes), dtype=np.int64)
    before = score_of(c, everything)

    def step(cl: Cluster, i: int) -> Evacuation:
        return evacuate_in_group(cl, i, "secondary-only", excluded, opts.ignore_soft_errors, opts.move_trace)

    plan = evacuate_traced(c, order, step, opts.move_trace, "secondary-only")
    if plan.failed:
        why = "; ".join(
            f"Can't evacuate instance {insts.names[i]}: {ev.error}" for i, ev in plan.failed.items()
        )
        return failed(why, instances=names)
    final = plan.cluster
    result = [
        [final.instances.names[i], final.nodes.names[int(final.instances.snode[i])]] for i, _ in plan.moved
    ]
    info = f"{len(result)} instances got a new secondary"
    if plan.retried or plan.reordered:
        info += " (some only after the others moved: their secondaries must be replaced in this order)"
    targets = list(dict.fromkeys(node for _, node in result))
    return Reply(
        True, f"Request successful: {info}", result, names, targets, before, score_of(final, everything)
    )
