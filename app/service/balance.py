"""A balancing plan for a document: hbal's algorithm (the engine's `balance`) on the cluster an
iallocator document describes, shaped as JSON. Used by `app.cli balance` and the service.

The document needs no request (hbal reads a cluster, not a request): one that has none is
given a neutral one, since the parser requires it. A node named offline that the document does
not have is a ParameterError, as in hbal.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.engine import BalanceOptions, EngineOptions, GroupPlan, Placement, balance
from app.protocol.errors import ParameterError
from app.service.answer import read_state

NEUTRAL_REQUEST = {"type": "node-evacuate", "instances": [], "evac_mode": "all"}
EXCLUSION_TAG = "htools:iextags:"


@dataclass(frozen=True)
class Changes:
    """What hbal's flags change in the cluster read: extra exclusion tags (--exclusion-tags), as
    cluster tags, and nodes to take as offline (-O/--offline), as hbal marks them after loading."""

    exclusion_tags: tuple[str, ...] = ()
    offline: tuple[str, ...] = ()

    def applied(self, data: bytes) -> bytes:
        """`data` with a request if it has none, and these changes."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError:
            return data  # the parser says what is wrong with it
        if not isinstance(raw, dict) or ("request" in raw and self == Changes()):
            return data
        raw.setdefault("request", NEUTRAL_REQUEST)
        if self.exclusion_tags and isinstance(raw.get("cluster_tags"), list):
            raw["cluster_tags"] = [*raw["cluster_tags"], *(EXCLUSION_TAG + t for t in self.exclusion_tags)]
        nodes = raw.get("nodes")
        if self.offline and isinstance(nodes, dict):
            unknown = [n for n in self.offline if not isinstance(nodes.get(n), dict)]
            if unknown:
                raise ParameterError("--offline", f"no node named {', '.join(map(repr, unknown))}")
            for name in self.offline:
                nodes[name]["offline"] = True
        return orjson.dumps(raw)


def group_json(plan: GroupPlan) -> dict[str, Any]:
    steps = plan.steps
    return {
        "group": plan.group,
        "initial_score": plan.initial_score,
        "final_score": plan.final_score,
        "optimal_score": plan.optimal_score,
        "stop": plan.stop,
        "steps": [
            {
                "instance": s.instance,
                "move": s.kind,
                "short": s.short,
                "from": list(s.old_nodes),
                "to": list(s.new_nodes),
                "score": s.score,
                "commands": s.commands(),
            }
            for s in steps
        ],
        "jobsets": [[steps[k].opcodes() for k in jobset] for jobset in plan.jobsets],
    }


def plan_document(
    data: bytes,
    opts: BalanceOptions,
    *,
    static_kvm_node_memory: int = 4096,
    changes: Changes = Changes(),
    done: Sequence[Placement] = (),
    seconds: float | None = None,
) -> tuple[list[GroupPlan], dict[str, Any]]:
    """The plans of the groups of the cluster in `data` (a kept state: its last decision's
    placements `done` applied) and their JSON; `seconds` bounds the search."""
    started = time.monotonic()
    options = EngineOptions(static_kvm_node_memory=static_kvm_node_memory)
    prepared = changes.applied(data)
    doc, c = read_state(prepared, done or (), options, None, None)
    plans = balance(c, opts, None if seconds is None else started + seconds)
    body = {
        "cluster": doc.cluster_name,
        "groups": [group_json(p) for p in plans],
        "moves": sum(len(p.steps) for p in plans),
        "seconds": round(time.monotonic() - started, 3),
    }
    return plans, body
