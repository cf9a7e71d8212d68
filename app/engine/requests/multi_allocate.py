"""The `multi-allocate` request (ALGORITHM.md 5.6), done better than hail (section 9.8):

- each entry's own `group_name` is honoured (then the request's, then every group);
- each entry's own `restrict-to-nodes` is honoured (`--restrict-allocation-to` wins);
- entries are placed one after another on the updated cluster, and what can be placed is
  placed: an entry that fits nowhere is listed as failed instead of failing the request;
- the failed list holds plain instance names, the form Ganeti 3.0's validator accepts,
  with the reason for each in `info`.
The request fails (`success: false`) only when no entry at all can be placed.
"""

from __future__ import annotations

import numpy as np

from app.cluster.build import request_spec
from app.cluster.model import NO_NODE, Cluster
from app.engine.nodeops import place_instance
from app.engine.options import EngineOptions
from app.engine.placement.dedicated import dedicated_applies, place_dedicated
from app.engine.placement.place import place
from app.engine.reply import Reply, failed
from app.engine.requests.allocate import restriction
from app.engine.score.metrics import score_of
from app.protocol.request import MultiAllocateRequest


def multi_allocate(c: Cluster, req: MultiAllocateRequest, opts: EngineOptions) -> Reply:
    everything = np.arange(len(c.nodes), dtype=np.int64)
    before = score_of(c, everything)
    allocated: list[list[object]] = []
    failures: list[str] = []
    reasons: list[str] = []
    chosen: list[str] = []
    for entry in req.instances:
        spec = request_spec(entry, c)
        group = entry.group_name if entry.group_name is not None else req.group_name
        restrict = restriction(opts, entry.restrict_to_nodes)
        if dedicated_applies(c, group):
            pl = place_dedicated(c, spec, entry.required_nodes, group, restrict, opts)
        else:
            pl = place(c, spec, entry.required_nodes, group, restrict, opts)
        if not pl.found:
            failures.append(entry.name)
            reasons.append(f"{entry.name}: {pl.text}" + (f" [why: {pl.why}]" if pl.why else ""))
            continue
        secondary = pl.nodes[1] if len(pl.nodes) > 1 else NO_NODE
        place_instance(c, spec, pl.nodes[0], secondary)
        names = [c.nodes.names[n] for n in pl.nodes]
        allocated.append([entry.name, names])
        chosen.extend(names)
    summary = f"{len(failures)} instances failed to allocate and {len(allocated)} were allocated successfully"
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    names = [e.name for e in req.instances]
    if req.instances and not allocated:
        return failed(summary + detail, instances=names)
    return Reply(
        True,
        f"Request successful: {summary}{detail}",
        [allocated, failures],
        names,
        chosen,
        before,
        score_of(c, everything),
    )
