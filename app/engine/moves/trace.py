"""Where an explanation collects what the moves of instances searched (`MoveTrace`, in
`EngineOptions.move_trace`; None in normal runs, and then nothing here runs but a test).

Per attempt to move one instance (a request may try an instance again, `evacplan`): the
target search the engine made, with every candidate's failure and score, and the choice.
The engine calls the hooks with what it computed; nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.cluster.model import NO_NODE, Cluster, FloatArray, IntArray
from app.engine.moves.evacplan import Plan, Step, evacuate_list
from app.engine.moves.evacuate import EvacMode, Evacuation
from app.engine.moves.targets import Targets
from app.engine.placement.search import SearchTrace

CHANGE_ALL = "change_all"  # DRBD to a new pair: replace secondary, failover, replace secondary


@dataclass
class TargetSearch:
    """One search of where an instance moves. Per candidate: the instance's nodes after the
    move (`primaries`, `secondaries`: NO_NODE without one), the node judged (`judged`: the
    new primary, or the new secondary of a secondary replacement), the failure (0: the move
    works), the failing step of a pair move (else 0) and the group score after the move."""

    kind: str
    group: int
    primaries: IntArray
    secondaries: IntArray
    judged: IntArray
    fail: IntArray
    step: IntArray
    scores: FloatArray
    chosen: int | None  # position of the engine's choice
    own: tuple[int, int]  # the instance's nodes when searched


@dataclass
class Attempt:
    """One call of a request's step for one instance, on one cluster state."""

    instance: int
    mode: EvacMode
    cluster: Cluster
    searches: list[TargetSearch] = field(default_factory=list)
    placements: tuple[int, int] = (0, 0)  # the SearchTrace's searches made by this attempt
    outcome: Evacuation | None = None
    nodes: tuple[int, int] = (NO_NODE, NO_NODE)  # the instance's nodes afterwards


@dataclass
class MoveTrace:
    """The attempts of one run; `final` is the cluster state the answer was made from and
    `placements` the trace of the group choices (change-group), if any."""

    placements: SearchTrace | None = None
    attempts: list[Attempt] = field(default_factory=list)
    final: Cluster | None = None

    def targets(self, c: Cluster, i: int, kind: str, group: int, found: Targets) -> None:
        """A single-node search (`targets.py`): the new primary or the new secondary."""
        p, s = int(c.instances.pnode[i]), int(c.instances.snode[i])
        best = found.best()
        chosen = None if best is None else int(np.flatnonzero(found.nodes == best)[0])
        n = len(found.nodes)
        if kind == "replace_secondary":
            primaries, secondaries = np.full(n, p), found.nodes
        else:
            primaries, secondaries = found.nodes, np.full(n, NO_NODE)
        zeros = np.zeros(n, dtype=np.int64)
        self._add(
            TargetSearch(
                kind,
                group,
                primaries,
                secondaries,
                found.nodes,
                found.fail,
                zeros,
                found.scores,
                chosen,
                (p, s),
            )  # fmt: skip
        )

    def pairs(
        self,
        c: Cluster,
        i: int,
        pairs: tuple[IntArray, IntArray],
        fail: IntArray,
        step: IntArray,
        scores: FloatArray,
        chosen: int | None,
    ) -> None:
        """The (primary, secondary) search of a DRBD instance moving both nodes (`pairs.py`)."""
        p, s = pairs
        group = int(c.nodes.group[p[0]]) if len(p) else -1
        own = (int(c.instances.pnode[i]), int(c.instances.snode[i]))
        self._add(TargetSearch(CHANGE_ALL, group, p, s, p, fail, step, scores, chosen, own))

    def _add(self, search: TargetSearch) -> None:
        if self.attempts:
            self.attempts[-1].searches.append(search)

    def begin(self, c: Cluster, i: int, mode: EvacMode) -> None:
        self.attempts.append(Attempt(i, mode, c, placements=(self._placed(), 0)))

    def end(self, ev: Evacuation) -> Evacuation:
        a = self.attempts[-1]
        a.outcome, a.placements = ev, (a.placements[0], self._placed())
        a.nodes = (int(a.cluster.instances.pnode[a.instance]), int(a.cluster.instances.snode[a.instance]))
        return ev

    def _placed(self) -> int:
        return len(self.placements.searches) if self.placements is not None else 0


def traced(step: Step, trace: MoveTrace | None, mode: EvacMode) -> Step:
    """`step`, each call recorded as an attempt when tracing (`step` itself when not)."""
    if trace is None:
        return step

    def run(c: Cluster, i: int) -> Evacuation:
        trace.begin(c, i, mode)
        return trace.end(step(c, i))

    return run


def evacuate_traced(
    c: Cluster, order: list[int], step: Step, trace: MoveTrace | None, mode: EvacMode
) -> Plan:
    """`evacplan.evacuate_list`, noting which attempts made the plan returned."""
    plan = evacuate_list(c, order, traced(step, trace, mode))
    if trace is not None:
        trace.final = plan.cluster
    return plan


def step_traced(c: Cluster, i: int, step: Step, trace: MoveTrace | None, mode: EvacMode) -> Evacuation:
    """One instance moved once (relocate)."""
    if trace is not None:
        trace.final = c
    return traced(step, trace, mode)(c, i)
