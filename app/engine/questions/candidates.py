"""What an explanation says about one instance's placement searches: the candidates in the
engine's order and why the other nodes were ruled out (shared by every request type)."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from app.cluster.model import Cluster
from app.engine.checks.failures import MEANING, Fail
from app.engine.placement.search import Scored, Search

OFFLINE = "offline, drained or not vm_capable"
RESTRICTED = "not in the node restriction"
# global_n1 of a candidate
PASSED, NOT_CHECKED, OFF, FAILED = "passed", "not checked", "off", "failed"


@dataclass(frozen=True)
class Candidate:
    """A placement the engine considered; `score` is None for dedicated allocation, which
    ranks by lost capacity. `global_n1`: passed, not checked (ranked after the choice,
    the engine never checks those) or off (--no-capacity-checks, dedicated)."""

    instance: str
    nodes: tuple[str, ...]
    group: str
    score: float | None
    global_n1: str


@dataclass(frozen=True)
class NodeRejection:
    """Why a node was ruled out (as primary; for a move, as the node moved to): hail's
    code and the constraint in words (`code` None: the node was not a candidate at all)."""

    group: str
    code: str | None
    constraint: str


@dataclass
class Rejections:
    """What ruled candidates out for one instance."""

    nodes: dict[str, NodeRejection] = field(default_factory=dict)
    secondary: dict[str, int] = field(default_factory=dict)  # hail code -> pairs failing there
    global_n1: int = 0  # candidates dropped by the global N+1 check
    global_n1_candidates: list[Candidate] = field(default_factory=list)  # the best of those


def group_of(c: Cluster, node: int) -> str:
    return c.groups[int(c.nodes.group[node])].name


def _candidate(c: Cluster, s: Search, scored: Scored, check: str) -> Candidate:
    nodes, score = scored
    names = tuple(c.nodes.names[n] for n in nodes)
    return Candidate(s.instance, names, c.groups[s.group].name, float(score), check)


def ranked_candidates(
    c: Cluster, searches: list[Search], any_group: bool, redundancy: bool, top: int
) -> list[Candidate]:
    """The kept candidates of every search merged in the engine's order: across groups by
    (alloc policy, score, later group first), as the group choice compares them."""
    lists: list[list[tuple[tuple[int, float, int], Candidate]]] = []
    for s in searches:
        group = c.groups[s.group]
        if any_group and group.policy == "unallocable":
            continue  # searched and described, never chosen
        rank = group.rank if any_group else 0
        checks = [PASSED if redundancy else OFF] + [NOT_CHECKED if redundancy else OFF] * (top - 1)
        lists.append(
            [
                ((rank, score, -s.group), _candidate(c, s, (nodes, score), check))
                for (nodes, score), check in zip(s.solution.ranked, checks, strict=False)
            ]
        )
    merged = heapq.merge(*lists, key=lambda item: item[0])
    return [cand for _, cand in list(merged)[:top]]


def search_rejections(c: Cluster, searches: list[Search], top: int, listed: bool) -> Rejections:
    """Per node the constraint that ruled it out as primary (and, when `listed`, the
    nodes of the searched groups that were no candidates), pairs failing on the
    secondary, and the candidates the global N+1 check dropped."""
    out = Rejections()
    by_node: dict[int, NodeRejection] = {}
    secondary: Counter[Fail] = Counter()
    dropped: list[tuple[float, int, Candidate]] = []
    for s in searches:
        sol, group = s.solution, c.groups[s.group].name
        for node, mode in sol.node_fails.items():
            by_node[node] = NodeRejection(group, mode.code, MEANING[mode])
        if listed:
            searched = set(s.candidates.tolist())
            for node in c.group_nodes(s.group).tolist():
                if node not in searched:
                    by_node[node] = NodeRejection(
                        group, None, OFFLINE if c.nodes.offline[node] else RESTRICTED
                    )
        secondary += sol.secondary_fails
        out.global_n1 += sol.fails[Fail.N1]
        dropped += [(sc[1], -s.group, _candidate(c, s, sc, FAILED)) for sc in sol.dropped]
    out.nodes = {c.nodes.names[n]: by_node[n] for n in sorted(by_node)}
    out.secondary = {mode.code: secondary[mode] for mode in Fail if secondary[mode]}
    out.global_n1_candidates = [cand for _, _, cand in sorted(dropped, key=lambda x: x[:2])[:top]]
    return out
