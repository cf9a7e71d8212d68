"""The `allocate-secondary` request: a DRBD secondary for an existing (plain) instance,
turning it into DRBD (ALGORITHM.md 5.7).

Better than hail (section 9.4): offline and drained nodes are never offered as the new
secondary, and the global N+1 check sees the instance once, as the converted DRBD one.
"""

from __future__ import annotations

import numpy as np

from app.cluster.model import NO_NODE, Cluster
from app.engine.nodeops import remove_primary
from app.engine.options import EngineOptions
from app.engine.placement.place import describe
from app.engine.placement.search import search_pairs
from app.engine.reply import Reply, failed
from app.engine.score.metrics import score_of
from app.protocol.request import AllocateSecondaryRequest


def allocate_secondary(c: Cluster, req: AllocateSecondaryRequest, opts: EngineOptions) -> Reply:
    i = c.instance_index[req.name]
    if c.instances.snode[i] != NO_NODE:
        return failed("Instance already has a secondary", instances=[req.name])
    everything = np.arange(len(c.nodes), dtype=np.int64)
    before = score_of(c, everything)
    spec = c.instances.specs[i]
    p = int(c.instances.pnode[i])
    c = c.copy()
    remove_primary(c, p, spec, int(c.instances.loc_score[i]))
    c.instances.pnode[i] = NO_NODE  # the old single-node record is gone
    group = c.group_nodes(int(c.nodes.group[p]))
    secs = group[(group != p) & ~c.nodes.offline[group]]
    drbd = spec._replace(template="drbd")
    sol = search_pairs(c, everything, np.array([p]), [secs], drbd, opts.ignore_soft_errors,
                       opts.capacity_checks, opts.trace)  # fmt: skip
    if not sol.found:
        return failed(describe(c, sol), instances=[req.name])
    name = c.nodes.names[sol.nodes[1]]
    return Reply(
        True,
        f"Request successful: {describe(c, sol)}",
        name,
        [req.name],
        [c.nodes.names[p], name],
        before,
        sol.score,
    )
