"""Explaining the requests that move instances (relocate, node-evacuate, change-group,
multi-evacuate): per instance the targets the engine searched, best first, and why the
other nodes were ruled out.

The request runs through the engine with a MoveTrace (and, for change-group's group
choice, a SearchTrace) in the options; the attempts that made the answer are read back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from app.cluster.model import NO_NODE, Cluster
from app.engine.checks.failures import MEANING, Fail, explain_counts
from app.engine.moves.evacuate import EvacMode
from app.engine.moves.pairs import STEPS
from app.engine.moves.trace import CHANGE_ALL, Attempt, MoveTrace, TargetSearch
from app.engine.options import EngineOptions
from app.engine.placement.place import explain as explain_group
from app.engine.placement.search import Search, SearchTrace
from app.engine.questions.candidates import (
    OFFLINE,
    Candidate,
    NodeRejection,
    Rejections,
    group_of,
    ranked_candidates,
    search_rejections,
)
from app.engine.reply import Reply
from app.engine.requests.dispatch import run_request
from app.protocol.request import Request

OWN = "the instance's primary"
EVACUATED = "evacuated by the request"


@dataclass(frozen=True)
class MoveCandidate:
    """A move the engine considered: `nodes` are the instance's nodes after it (primary
    first); `score` is that of the target group after the move (None: a failover, which
    has no choice to score)."""

    instance: str
    kind: str
    nodes: tuple[str, ...]
    group: str
    score: float | None


@dataclass(frozen=True)
class InstanceMove:
    """One instance of a move request: moved or not (`error`: the engine's text, `why`: the
    constraints in words), the candidates best first (the first is the answer's), and for
    change-group the best placements of the group choice."""

    instance: str
    mode: EvacMode | None
    moved: bool
    attempts: int
    error: str | None
    why: str | None
    candidates: list[MoveCandidate] = field(default_factory=list)
    group_choice: list[Candidate] = field(default_factory=list)


def explain_moves(
    c: Cluster, req: Request, opts: EngineOptions, top: int
) -> tuple[Reply, list[InstanceMove], dict[str, Rejections]]:
    """Answer a move request as the engine does; per instance of the answer its moves."""
    placements = SearchTrace(top)
    trace = MoveTrace(placements)
    reply = run_request(c, req, replace(opts, trace=placements, move_trace=trace))
    moves: list[InstanceMove] = []
    rejected: dict[str, Rejections] = {}
    for name in reply.instances:
        i = c.instance_index[name]
        final = [a for a in trace.attempts if a.instance == i and a.cluster is trace.final]
        if not final:  # refused before any move (relocate)
            moves.append(InstanceMove(name, None, False, 0, reply.info, None))
            rejected[name] = Rejections()
            continue
        placed = placements.searches[slice(*final[-1].placements)]
        move, rejected[name] = _explain_attempt(c, name, final[-1], placed, opts.capacity_checks, top)
        moves.append(replace(move, attempts=len(final)))
    return reply, moves, rejected


def _explain_attempt(
    c: Cluster, name: str, a: Attempt, placed: list[Search], redundancy: bool, top: int
) -> tuple[InstanceMove, Rejections]:
    """The last attempt of an instance: its target search (or, without one, the failover it
    made, or the group choice that failed)."""
    ev = a.outcome
    assert ev is not None
    choice = ranked_candidates(c, placed, True, redundancy, top)
    if not a.searches:
        return _unsearched(c, name, a, placed, choice), search_rejections(c, placed, top, listed=True)
    s = a.searches[-1]
    nodes, secondary = _judged(s)
    why = None if ev.ok else _why(c, s, nodes, secondary)
    move = InstanceMove(name, a.mode, ev.ok, 1, ev.error or None, why, _candidates(c, name, s, top), choice)
    return move, _rejections(c, s, a.mode, nodes, secondary)


def _unsearched(
    c: Cluster, name: str, a: Attempt, placed: list[Search], choice: list[Candidate]
) -> InstanceMove:
    """No target search: a DRBD failover (no choice, no score) or a refusal."""
    ev = a.outcome
    assert ev is not None
    cands = []
    if ev.ok:
        names = tuple(c.nodes.names[n] for n in a.nodes if n != NO_NODE)
        cands = [MoveCandidate(name, ev.moves[-1].kind, names, group_of(c, a.nodes[0]), None)]
    text = "; ".join(explain_group(c, c.groups[p.group], p.solution) for p in placed if not p.solution.found)
    return InstanceMove(name, a.mode, ev.ok, 1, ev.error or None, text or None, cands, choice)


def _candidates(c: Cluster, name: str, s: TargetSearch, top: int) -> list[MoveCandidate]:
    """The engine's choice, then the other working moves by score (the later on equal ones)."""
    ok = np.flatnonzero(s.fail == 0)
    rest = ok[ok != s.chosen]
    rest = rest[np.lexsort((-rest, s.scores[rest]))]
    order = ([s.chosen] if s.chosen is not None else []) + rest.tolist()
    out = []
    for j in order[:top]:
        nodes = [int(s.primaries[j])] + ([int(s.secondaries[j])] if s.secondaries[j] != NO_NODE else [])
        names = tuple(c.nodes.names[n] for n in nodes)
        out.append(MoveCandidate(name, s.kind, names, c.groups[s.group].name, float(s.scores[j])))
    return out


def _judged(s: TargetSearch) -> tuple[dict[int, tuple[Fail, int]], Counter[Fail]]:
    """Per node ruled out, its first failure and failing step; the pairs failing on the final
    secondary, per failure. A node is ruled out when no move through it passes its steps."""
    last = len(STEPS) - 1 if s.kind == CHANGE_ALL else -1
    passed = set(s.judged[(s.fail == 0) | (s.step == last)].tolist())
    nodes: dict[int, tuple[Fail, int]] = {}
    secondary: Counter[Fail] = Counter()
    for j in np.flatnonzero(s.fail).tolist():
        mode, step = Fail(int(s.fail[j])), int(s.step[j])
        if step == last:
            secondary[mode] += 1
        elif int(s.judged[j]) not in passed:
            nodes.setdefault(int(s.judged[j]), (mode, step))
    return nodes, secondary


def _rejections(
    c: Cluster, s: TargetSearch, mode: EvacMode, nodes: dict[int, tuple[Fail, int]], secondary: Counter[Fail]
) -> Rejections:
    """As for a placement; the group's nodes that were no candidates say why."""
    group = c.groups[s.group].name
    by_node: dict[int, NodeRejection] = {}
    for node, (fail, step) in nodes.items():
        text = MEANING[fail] + (f" when {STEPS[step].lower()}" if s.kind == CHANGE_ALL else "")
        by_node[node] = NodeRejection(group, fail.code, text)
    searched = set(s.judged.tolist())
    kept = {s.own[0]} if mode == "secondary-only" else set()  # the mode moves the other nodes
    for node in c.group_nodes(s.group).tolist():
        if node not in searched:
            why = OFFLINE if c.nodes.offline[node] else OWN if node in kept else EVACUATED
            by_node[node] = NodeRejection(group, None, why)
    out = Rejections({c.nodes.names[n]: by_node[n] for n in sorted(by_node)})
    out.secondary = {fail.code: secondary[fail] for fail in Fail if secondary[fail]}
    return out


def _why(c: Cluster, s: TargetSearch, nodes: dict[int, tuple[Fail, int]], secondary: Counter[Fail]) -> str:
    """The constraints that stopped the move, in words."""
    role = "new secondary" if s.kind == "replace_secondary" else "new primary"
    parts = [f"group {c.groups[s.group].name}: {len(set(s.judged.tolist()))} nodes tried"]
    failed = explain_counts(Counter(mode for mode, _ in nodes.values()))
    if failed:
        parts.append(f"as {role}, failed on {failed}")
    if secondary:
        parts.append(f"{secondary.total()} pairs failed on the final secondary ({explain_counts(secondary)})")
    return "; ".join(parts)
