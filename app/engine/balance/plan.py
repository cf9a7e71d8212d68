"""hbal's balancing loop (`Hbal.hs: iterateDepth`, `Cluster.hs: tryBalance`, `doNextBalance`)
over each node group, on a copy of the cluster: the plan, not its execution."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.cluster.model import NO_NODE, RUNNING, Cluster, IntArray
from app.engine.balance.apply import apply_move
from app.engine.balance.cache import Kept
from app.engine.balance.jobs import Step, split_jobs
from app.engine.balance.options import BalanceOptions
from app.engine.balance.step import Choice, PastDeadline, allowed, best_move, movable
from app.engine.score.metrics import score_of
from app.protocol.errors import ParameterError

RESERVED_MEM_RTOTAL = 0.25  # the weight of reserved_mem_rtotal (ALGORITHM.md 4.1)


@dataclass
class GroupPlan:
    """One group's plan: scores before and after each step, and why it stopped."""

    group: str
    initial_score: float
    optimal_score: float  # the least score the N+1 reservations allow (`optimalCVScore`)
    steps: list[Step] = field(default_factory=list)
    stop: str = ""  # balanced, min-score, max-length, min-gain, no-improvement, deadline

    @property
    def final_score(self) -> float:
        return self.steps[-1].score if self.steps else self.initial_score

    @property
    def jobsets(self) -> list[list[int]]:
        return split_jobs(self.steps)


def optimal_score(c: Cluster, nodes: IntArray) -> float:
    """hbal's `optimalCVScore`: the reserved-memory total that DRBD peers force on a group."""
    if len(nodes) <= 1:
        return 0.0
    mems = [float(m) for m in c.nodes.t_mem[nodes]]
    total = sum(mems)
    one_less = total - max(mems)
    if one_less <= 0:
        return 0.0
    drbd = float(sum(sum(c.nodes.peers[n].values()) for n in nodes.tolist()))
    return RESERVED_MEM_RTOTAL * (drbd / one_less - drbd / total)


def groups_to_balance(c: Cluster, opts: BalanceOptions) -> list[int]:
    """The groups with nodes, in input order, or the one `opts.group` names (hbal's -G)."""
    if opts.group is None:
        return [g for g in range(len(c.groups)) if len(c.group_nodes(g))]
    found = c.group_index(opts.group)
    if len(found) != 1:
        known = ", ".join(g.name for g in c.groups)
        raise ParameterError("--group", f"no single node group named {opts.group!r} (groups: {known})")
    return found


def _step(c: Cluster, choice: Choice, force: bool) -> Step:
    insts, names = c.instances, c.nodes.names
    i = choice.instance

    def nodes() -> tuple[str, ...]:
        s = int(insts.snode[i])
        return (names[int(insts.pnode[i])],) + ((names[s],) if s != NO_NODE else ())

    old = nodes()
    why = apply_move(c, i, choice.kind, choice.target, force)
    if why is not None:  # the candidate passed these very checks
        raise AssertionError(f"balance move {choice} failed when applied: {why.name}")
    return Step(insts.names[i], choice.kind, old, nodes(), choice.score, insts.specs[i].run_state == RUNNING)


def balance_group(c: Cluster, g: int, opts: BalanceOptions, deadline: float | None = None) -> GroupPlan:
    """Balance group `g` of `c` in place; `deadline` (time.monotonic) ends it early: between
    steps, where no step is begun that would end after it at the pace of the step before, or in
    a step too long to wait for (a large group's, computed afresh)."""
    nodes = c.group_nodes(g)
    score = score_of(c, nodes)
    plan = GroupPlan(c.groups[g].name, score, optimal_score(c, nodes))
    kept = Kept(c, nodes, opts)
    may_move = allowed(c, opts)
    if score - plan.optimal_score < opts.min_score:
        plan.stop = "balanced"
        return plan
    last = 0.0  # seconds the last step took: the next one must end by the deadline too
    while not plan.stop:
        if 0 <= opts.max_length <= len(plan.steps):
            plan.stop = "max-length"
        elif score <= plan.optimal_score + opts.min_score:
            plan.stop = "min-score"
        elif deadline is not None and time.monotonic() + last > deadline:
            plan.stop = "deadline"
        else:
            started = time.monotonic()
            try:
                choice = best_move(c, nodes, movable(c, nodes, opts, may_move), opts, kept, deadline)
            except PastDeadline:
                plan.stop = "deadline"
                break
            last = time.monotonic() - started
            if choice is None:
                plan.stop = "no-improvement"
            elif not (score > opts.min_gain_limit or score - choice.score >= opts.min_gain):
                plan.stop = "min-gain"
            else:
                plan.steps.append(_step(c, choice, opts.ignore_soft_errors))
                score = choice.score
                kept.moved([c.node_index[name] for name in plan.steps[-1].touched])
    return plan


def balance(c: Cluster, opts: BalanceOptions, deadline: float | None = None) -> list[GroupPlan]:
    """The plan of every group to balance; `c` is left as it was."""
    work = c.copy()
    return [balance_group(work, g, opts, deadline) for g in groups_to_balance(c, opts)]
