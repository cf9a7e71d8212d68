"""Explaining a request without deciding anything: the answer, the best few candidates of
each instance to place or move in the engine's order, and why the other nodes were ruled out.

The request runs through the engine exactly as it would be answered, with a SearchTrace (and
for moves a MoveTrace) in the options, so the first candidate is always the answer's choice.
Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, cast

from app.cluster.model import Cluster
from app.engine.options import EngineOptions
from app.engine.placement.search import SearchTrace
from app.engine.questions.candidates import (
    OFF,
    Candidate,
    Rejections,
    group_of,
    ranked_candidates,
    search_rejections,
)
from app.engine.questions.explain_moves import InstanceMove, explain_moves
from app.engine.reply import Reply
from app.engine.requests.dispatch import run_request
from app.protocol.request import AllocateRequest, AllocateSecondaryRequest, MultiAllocateRequest, Request

DEFAULT_TOP = 5

Explained = AllocateRequest | MultiAllocateRequest | AllocateSecondaryRequest


@dataclass(frozen=True)
class Explanation:
    reply: Reply
    candidates: list[Candidate]  # per instance in request order, best first (placements)
    rejected: dict[str, Rejections]  # by instance name
    moves: list[InstanceMove] = field(default_factory=list)  # per instance moved (move requests)


def explain_request(c: Cluster, req: Request, opts: EngineOptions, top: int = DEFAULT_TOP) -> Explanation:
    """Answer the request as the engine does and explain the placements it searched
    (allocate, multi-allocate, allocate-secondary) or the moves it made (the others)."""
    if not isinstance(req, AllocateRequest | MultiAllocateRequest | AllocateSecondaryRequest):
        answer, moves, why = explain_moves(c, req, opts, top)
        return Explanation(answer, [], why, moves)
    trace = SearchTrace(top)
    reply = run_request(c, req, replace(opts, trace=trace))
    placed = _placed(req, reply)
    candidates: list[Candidate] = []
    rejected: dict[str, Rejections] = {}
    for name, group_name in _instances(req):
        searches = [s for s in trace.searches if s.instance == name]
        any_group = group_name is None and not isinstance(req, AllocateSecondaryRequest)
        ranked = ranked_candidates(c, searches, any_group, opts.capacity_checks, top)
        if not searches and name in placed:  # dedicated allocation: no balance score
            nodes = tuple(placed[name])
            ranked = [Candidate(name, nodes, group_of(c, c.node_index[nodes[0]]), None, OFF)]
        candidates += ranked
        listed = not isinstance(req, AllocateSecondaryRequest)
        rejected[name] = search_rejections(c, searches, top, listed)
    return Explanation(reply, candidates, rejected)


def _instances(req: Explained) -> list[tuple[str, str | None]]:
    """The instances placed, with the group each is asked for (as multi_allocate reads it)."""
    if isinstance(req, MultiAllocateRequest):
        return [(e.name, e.group_name if e.group_name is not None else req.group_name) for e in req.instances]
    if isinstance(req, AllocateRequest):
        return [(req.name, req.group_name)]
    return [(req.name, None)]


def _placed(req: Explained, reply: Reply) -> dict[str, list[str]]:
    """The nodes the answer gives each instance it placed."""
    if not reply.success:
        return {}
    if isinstance(req, MultiAllocateRequest):
        allocated = cast(list[list[Any]], reply.result)[0]
        return {str(name): list(nodes) for name, nodes in allocated}
    return {req.name: list(reply.nodes)}
