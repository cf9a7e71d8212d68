"""An explanation (the body POST /clusters/{name}/explain returns) as the decision page shows it:
per instance, its best candidates, how many nodes each constraint ruled out, and each node's
reason. Fields this module does not know (other request types add some) are shown as they are."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# The candidate columns shown first, in this order; any others follow.
CANDIDATE_COLUMNS = ("instance", "kind", "nodes", "group", "score", "global_n1")
_KNOWN_REJECTIONS = {"nodes", "secondary", "global_n1", "global_n1_candidates"}
_KNOWN_BODY = {"request_type", "answer", "candidates", "rejected", "warnings", "moves"}


@dataclass(frozen=True)
class ConstraintCount:
    code: str | None  # hail's failure code; None: the node was no candidate at all
    constraint: str
    nodes: int


@dataclass
class InstanceExplained:
    instance: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    counts: list[ConstraintCount] = field(default_factory=list)  # most nodes first
    nodes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # by node name
    secondary: dict[str, int] = field(default_factory=dict)
    global_n1: int = 0
    global_n1_candidates: list[dict[str, Any]] = field(default_factory=list)
    more: dict[str, Any] = field(default_factory=dict)  # rejection fields not known here
    move: dict[str, Any] | None = None  # for a move request: mode, moved, attempts, error, why, ...


@dataclass(frozen=True)
class Explained:
    answer: dict[str, Any]
    columns: list[str]  # of every candidate table
    instances: list[InstanceExplained]
    warnings: list[str]
    more: dict[str, Any]  # top-level fields not known here


def constraint_counts(nodes: dict[str, dict[str, Any]]) -> list[ConstraintCount]:
    """How many nodes each constraint ruled out, most first."""
    counted = Counter((n.get("code"), str(n.get("constraint", ""))) for n in nodes.values())
    ranked = sorted(counted.items(), key=lambda item: (-item[1], str(item[0][0]), item[0][1]))
    return [ConstraintCount(code, constraint, count) for (code, constraint), count in ranked]


def _columns(candidates: list[dict[str, Any]]) -> list[str]:
    seen = [c for c in CANDIDATE_COLUMNS if any(c in x for x in candidates)] or list(CANDIDATE_COLUMNS)
    return seen + sorted({k for x in candidates for k in x} - set(seen))


def _instance(name: str, rejected: dict[str, Any]) -> InstanceExplained:
    nodes = rejected.get("nodes") or {}
    return InstanceExplained(
        name,
        counts=constraint_counts(nodes),
        nodes=sorted(nodes.items()),
        secondary=dict(rejected.get("secondary") or {}),
        global_n1=int(rejected.get("global_n1") or 0),
        global_n1_candidates=list(rejected.get("global_n1_candidates") or []),
        more={k: v for k, v in rejected.items() if k not in _KNOWN_REJECTIONS},
    )


def explained(body: dict[str, Any]) -> Explained:
    """The page's view of an explain body (ExplainPublic as JSON)."""
    rejected: dict[str, Any] = body.get("rejected") or {}
    candidates: list[dict[str, Any]] = body.get("candidates") or []
    per = {name: _instance(name, r if isinstance(r, dict) else {"": r}) for name, r in rejected.items()}
    for cand in candidates:
        name = str(cand.get("instance", ""))
        per.setdefault(name, InstanceExplained(name)).candidates.append(cand)
    for move in body.get("moves") or []:  # relocate, node-evacuate, change-group, multi-evacuate
        name = str(move.get("instance", ""))
        moved = per.setdefault(name, InstanceExplained(name))
        moved.candidates += list(move.get("candidates") or [])
        candidates = candidates + list(move.get("candidates") or [])
        moved.move = {k: v for k, v in move.items() if k not in ("instance", "candidates")}
    every = candidates + [c for i in per.values() for c in i.global_n1_candidates]
    more = {k: v for k, v in body.items() if k not in _KNOWN_BODY}
    return Explained(
        body.get("answer") or {}, _columns(every), list(per.values()), body.get("warnings") or [], more
    )


def cell(value: Any) -> str:
    """A value of an explanation as one table cell: numbers short, lists and mappings inline."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)
