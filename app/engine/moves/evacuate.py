"""Moving one instance off its node(s) inside a target group (`Evacuate.hs:
nodeEvacInstance`, ALGORITHM.md 5.4), with hail's choices and failure messages.

On success the moves are applied to the cluster in place and returned; on failure the
cluster is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from app.cluster.model import NO_NODE, SHARED_TEMPLATES, Cluster, IntArray
from app.engine.moves import apply, targets
from app.engine.moves.pairs import best_pair
from app.engine.nodeops import restore, snapshot

if TYPE_CHECKING:
    from app.engine.moves.trace import MoveTrace

EvacMode = Literal["primary-only", "secondary-only", "all"]
MoveKind = Literal["failover", "failover_to_any", "replace_secondary"]
NO_NODES = "Can't find any good nodes for relocation"


@dataclass(frozen=True)
class Move:
    """One of hail's instance moves (`IMove`): Failover, FailoverToAny t, ReplaceSecondary t."""

    kind: MoveKind
    target: int = NO_NODE


@dataclass
class Evacuation:
    """The moves made, or why none could be; `retry` is false when no other cluster state
    could help (the disk template cannot be moved that way)."""

    moves: list[Move] = field(default_factory=list)
    error: str = ""
    retry: bool = True

    @property
    def ok(self) -> bool:
        return not self.error


def excluded_nodes(c: Cluster, instances: list[int], mode: EvacMode) -> set[int]:
    """The evacuated nodes of a request plus every htools-offline node (`tryNodeEvac`)."""
    out = {int(n) for n in np.flatnonzero(c.nodes.offline)}
    for i in instances:
        p, s = int(c.instances.pnode[i]), int(c.instances.snode[i])
        drbd = c.instances.specs[i].template == "drbd" and s != NO_NODE
        if mode != "secondary-only":
            out.add(p)
        if mode != "primary-only" and drbd:
            out.add(s)
    return out


def available(c: Cluster, group: int, excluded: set[int]) -> IntArray:
    """The group's nodes in input order, without the excluded ones."""
    nodes = c.group_nodes(group)
    return np.array([n for n in nodes if int(n) not in excluded], dtype=np.int64)


def evacuate_one(
    c: Cluster,
    i: int,
    mode: EvacMode,
    group: int,
    avail: IntArray,
    force: bool,
    trace: MoveTrace | None = None,
) -> Evacuation:
    template = c.instances.specs[i].template
    if template in ("plain", "file"):
        return Evacuation(error=f"Instances of type {template} cannot be relocated", retry=False)
    if template in SHARED_TEMPLATES:
        if mode == "secondary-only":
            error = f"Instances with disk template '{template}' can't execute change secondary"
            return Evacuation(error=error, retry=False)
        return _one_node(c, i, "failover_to_any", group, avail, force, trace)
    if c.instances.snode[i] == NO_NODE:  # malformed input (hail aborts looking the node up)
        return Evacuation(error=f"DRBD instance {c.instances.names[i]} has no secondary node", retry=False)
    if mode == "primary-only":
        why = apply.failover(c, i, force)
        return Evacuation(error=why.code) if why else Evacuation([Move("failover")])
    if mode == "secondary-only":
        return _one_node(c, i, "replace_secondary", group, avail, force, trace)
    return _both_nodes(c, i, group, avail, force, trace)


def _one_node(
    c: Cluster, i: int, kind: MoveKind, group: int, avail: IntArray, force: bool, trace: MoveTrace | None
) -> Evacuation:
    """`evacOneNodeOnly`: the best target for the one node that changes."""
    search = targets.failover_to_any if kind == "failover_to_any" else targets.replace_secondary
    found = search(c, i, avail, c.group_nodes(group), force)
    if trace is not None:
        trace.targets(c, i, kind, group, found)
    best = found.best()
    if best is None:
        tried = "".join(
            f" Node {c.nodes.names[n]} failed: {why.code};" for n, why in found.failures_before_best()
        )
        return Evacuation(error=f"Can't find any good node: {tried}")
    move = Move(kind, best)
    _apply(c, i, move, force)
    return Evacuation([move])


def _both_nodes(
    c: Cluster, i: int, group: int, avail: IntArray, force: bool, trace: MoveTrace | None
) -> Evacuation:
    """DRBD to a new pair: a failover first if the primary is offline, then the pair."""
    if len(avail) < 2:
        return Evacuation(error=f"{NO_NODES}: no nodes available")
    insts = c.instances
    record = (int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i]))
    snap = None  # the search leaves the cluster as it was: only a first failover is undone
    done: list[Move] = []
    if c.nodes.offline[record[0]]:
        snap = snapshot(c, list(record[:2]))
        why = apply.failover(c, i, force)
        if why is not None:
            return Evacuation(
                error=f"{NO_NODES}: Allocation failed: Failing over to the secondary: {why.code}"
            )
        done.append(Move("failover"))
    choice = best_pair(c, i, avail, c.group_nodes(group), force, trace)
    if choice.nodes is None:
        if snap is not None:
            restore(c, snap)
            insts.pnode[i], insts.snode[i], insts.loc_score[i] = record
        return Evacuation(error=f"{NO_NODES}: Allocation failed: {choice.failure}")
    p, s = choice.nodes
    for move in (Move("replace_secondary", p), Move("failover"), Move("replace_secondary", s)):
        _apply(c, i, move, force)
        done.append(move)
    return Evacuation(done)


def _apply(c: Cluster, i: int, move: Move, force: bool) -> None:
    """A move the search has checked (`apply`'s checks are not run again)."""
    if move.kind == "failover":
        apply.failover(c, i, force, check=False)
    elif move.kind == "failover_to_any":
        apply.failover_to_any(c, i, move.target, force, check=False)
    else:
        apply.replace_secondary(c, i, move.target, force, check=False)
