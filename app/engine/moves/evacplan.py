"""Evacuating a list of instances one after the other, each seeing the moves before it
(`tryNodeEvac`, `tryChangeGroup`), and the answer Ganeti gets (`formatNodeEvac`).

Beyond hail: instances that failed are retried once the others have moved (their jobs
wait for the earlier ones), and if some still fail, the list is also tried biggest first;
that order is kept only if it moves every instance the request order moves, and more.
hail's order and jobs are otherwise unchanged, so iallocd never moves fewer instances than
hail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.cluster.model import NO_NODE, Cluster
from app.engine.moves.evacuate import Evacuation, Move
from app.engine.moves.opcodes import after_all, job
from app.engine.reply import Reply
from app.engine.score.metrics import score_of

Step = Callable[[Cluster, int], Evacuation]


@dataclass
class Plan:
    """One evacuation run: moves in the order made, failures by instance."""

    cluster: Cluster
    moved: list[tuple[int, list[Move]]] = field(default_factory=list)
    failed: dict[int, Evacuation] = field(default_factory=dict)
    retried: list[int] = field(default_factory=list)  # moved only in a later pass
    reordered: bool = False

    def run(self, order: list[int], step: Step) -> None:
        """hail's single pass: each instance once, in `order`."""
        for i in order:
            ev = step(self.cluster, i)
            if ev.ok:
                self.moved.append((i, ev.moves))
            else:
                self.failed[i] = ev

    def retry(self, step: Step) -> None:
        """Retry the failures that another cluster state could fix, until none moves."""
        progress = True
        while progress:
            progress = False
            for i in [i for i, ev in self.failed.items() if ev.retry]:
                ev = step(self.cluster, i)
                if ev.ok:
                    del self.failed[i]
                    self.moved.append((i, ev.moves))
                    self.retried.append(i)
                    progress = True


def size_order(c: Cluster, order: list[int]) -> list[int]:
    """Biggest first (memory, then disk), request order among equals."""
    specs = c.instances.specs
    return sorted(order, key=lambda i: (-specs[i].memory, -specs[i].dsk))


def evacuate_list(c: Cluster, order: list[int], step: Step) -> Plan:
    """hail's one pass in request order, then the retries and, if needed, biggest first."""
    start = c.copy()
    plan = Plan(c)
    plan.run(order, step)
    plan.retry(step)
    if any(ev.retry for ev in plan.failed.values()):
        bigger = size_order(c, order)
        if bigger != order:
            other = Plan(start.copy(), reordered=True)
            other.run(bigger, step)
            other.retry(step)
            if {i for i, _ in other.moved} > {i for i, _ in plan.moved}:
                return other
    return plan


def evacuation_reply(before: float, plan: Plan, request_order: list[int]) -> Reply:
    """`[moved, failed, jobs]` with hail's info text, plus a note when iallocd did more."""
    c = plan.cluster
    insts = c.instances
    moved, jobs, nodes = [], [], []
    for k, (i, moves) in enumerate(plan.moved):
        p, s = int(insts.pnode[i]), int(insts.snode[i])
        placed = [c.nodes.names[p]] + ([c.nodes.names[s]] if s != NO_NODE else [])
        moved.append([insts.names[i], c.groups[int(c.nodes.group[p])].name, placed])
        ops = job(c, i, moves)
        jobs.append(after_all(ops, k) if i in plan.retried else ops)
        nodes += [n for n in placed if n not in nodes]
    failed = [[insts.names[i], plan.failed[i].error] for i in request_order if i in plan.failed]
    info = f"{len(failed)} instances failed to move and {len(moved)} were moved successfully"
    if plan.reordered:
        info += "; iallocd moved the instances biggest first, as request order moved fewer"
    if plan.retried:
        names = ", ".join(insts.names[i] for i in plan.retried)
        info += f"; moved only after the other moves, retried by iallocd (jobs wait for them): {names}"
    everything = np.arange(len(c.nodes), dtype=np.int64)
    return Reply(
        True,
        f"Request successful: {info}",
        [moved, failed, jobs],
        [insts.names[i] for i in request_order],
        nodes,
        before,
        score_of(c, everything),
    )
