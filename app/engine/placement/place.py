"""Placing one new instance: candidate nodes, the search per group and the choice of group
(hail's `tryMGAlloc` / `tryGroupAlloc`, ALGORITHM.md 3.6 and 5.2)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from app.cluster.model import Cluster, Group, InstanceSpec, IntArray
from app.engine.checks.failures import Fail, explain_counts, format_counts
from app.engine.options import EngineOptions
from app.engine.placement.search import Solution, search_pairs, search_single
from app.engine.score.metrics import score_of


@dataclass
class Placement:
    """Where one instance goes, or why it cannot go anywhere.

    `text` is hail's wording (without the "Request ...:" prefix); `why` adds, for a
    failure, the failing nodes per constraint and per group in plain words."""

    nodes: tuple[int, ...] = ()
    text: str = ""
    why: str = ""
    group: int | None = None
    score_before: float | None = None
    score_after: float | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.nodes)


def network_error(group: Group, inst: InstanceSpec) -> str | None:
    if inst.networks.issubset(group.networks):
        return None
    return f"group {group.name} is not connected to a network required by instance {inst.name}"


def candidates(c: Cluster, group: int, restrict: tuple[str, ...] | None) -> IntArray:
    """Online nodes of the group in input order, optionally restricted by name (3.6)."""
    nodes = c.group_nodes(group)
    nodes = nodes[~c.nodes.offline[nodes]]
    if restrict is not None:
        allowed = set(restrict)
        nodes = np.array([n for n in nodes if c.nodes.names[n] in allowed], dtype=np.int64)
    return nodes


def search_group(
    c: Cluster,
    node_list: IntArray,
    group: int,
    inst: InstanceSpec,
    required_nodes: int,
    restrict: tuple[str, ...] | None,
    opts: EngineOptions,
    moving: bool = False,
) -> Solution | str:
    """Search one group's candidates, scoring `node_list`; a string is a hard error.
    `moving`: `inst` is an existing instance placed as a copy (change-group)."""
    cands = candidates(c, group, restrict)
    force = opts.ignore_soft_errors
    if required_nodes == 1:
        if len(cands) == 0:
            return "No online nodes"
        return search_single(c, node_list, cands, inst, force, opts.capacity_checks, opts.trace)
    if required_nodes == 2:
        if len(cands) < 2:
            return "Not enough online nodes"
        secs = [cands[cands != p] for p in cands]
        return search_pairs(c, node_list, cands, secs, inst, force, opts.capacity_checks, opts.trace, moving)
    return "Unsupported number of nodes, only one or two  supported"


def describe(c: Cluster, sol: Solution) -> str:
    """hail's `genericDescribeSolution` (3.7)."""
    failures = sum(sol.fails.values())
    if sol.found:
        names = "/".join(c.nodes.names[n] for n in sol.nodes)
        return (
            f"score: {sol.score:.8f}, successes {sol.successes}, failures {failures}"
            f" ({format_counts(sol.fails)}) for node(s) {names}"
        )
    reasons = format_counts(sol.fails) or "unknown reasons"
    return f"No valid allocation solutions, failure reasons: {reasons}"


def explain(c: Cluster, group: Group, sol: Solution) -> str:
    """Plain words, per group: how many nodes failed on which constraint (as primary), how
    many pairs on the secondary, and how many placements global N+1 turned down. hail's
    counts are per candidate, so for DRBD they mix nodes and pairs; these do not."""
    parts = [f"group {group.name}: {sol.nodes_tried} nodes tried"]
    if sol.policy_fails:
        parts.append(f"the instance policy refuses it on {explain_counts(sol.policy_fails)}")
    as_primary = explain_counts(Counter(sol.node_fails.values()) - sol.policy_fails)
    if as_primary:
        parts.append(f"as primary, failed on {as_primary}")
    as_secondary = explain_counts(sol.secondary_fails)
    if as_secondary:
        parts.append(f"{sum(sol.secondary_fails.values())} pairs failed on the secondary ({as_secondary})")
    if sol.fails[Fail.N1]:
        parts.append(f"{sol.fails[Fail.N1]} placements would break global N+1 redundancy")
    return "; ".join(parts)


def place(
    c: Cluster,
    inst: InstanceSpec,
    required_nodes: int,
    group_name: str | None,
    restrict: tuple[str, ...] | None,
    opts: EngineOptions,
    allowed: Collection[int] | None = None,
    moving: bool = False,
) -> Placement:
    """`allowed`: the groups the multi-group search may choose from (all when None);
    `moving`: `inst` is an existing instance placed as a copy (change-group)."""
    if group_name is not None:
        return _place_in_group(c, inst, required_nodes, group_name, restrict, opts)
    return _place_any_group(c, inst, required_nodes, restrict, opts, allowed, moving)


def _place_in_group(
    c: Cluster,
    inst: InstanceSpec,
    required_nodes: int,
    group_name: str,
    restrict: tuple[str, ...] | None,
    opts: EngineOptions,
) -> Placement:
    found = c.group_index(group_name)
    if len(found) != 1:
        return Placement(text=f"Wrong number of elems found with name {group_name}")
    g = found[0]
    group = c.groups[g]
    err = network_error(group, inst)
    if err:
        return Placement(text="The " + err, why=err)
    node_list = c.group_nodes(g)
    before = score_of(c, node_list)
    sol = search_group(c, node_list, g, inst, required_nodes, restrict, opts)
    if isinstance(sol, str):
        return Placement(text=sol, score_before=before)
    text = f"Group {group.name} ({group.policy}): {describe(c, sol)}"
    if not sol.found:
        return Placement(text=text, why=explain(c, group, sol), score_before=before)
    return Placement(sol.nodes, text, group=g, score_before=before, score_after=sol.score)


def _place_any_group(
    c: Cluster,
    inst: InstanceSpec,
    required_nodes: int,
    restrict: tuple[str, ...] | None,
    opts: EngineOptions,
    allowed: Collection[int] | None,
    moving: bool,
) -> Placement:
    everything = np.arange(len(c.nodes), dtype=np.int64)
    before = score_of(c, everything)
    groups = [g for g in range(len(c.groups)) if len(c.group_nodes(g)) and (allowed is None or g in allowed)]
    msgs: list[str] = []
    whys: list[str] = []
    usable = []
    for g in groups:
        err = network_error(c.groups[g], inst)
        if err:
            msgs.append(err)
            whys.append(err)
        else:
            usable.append(g)
    results: dict[int, Solution | str] = {
        g: search_group(c, everything, g, inst, required_nodes, restrict, opts, moving) for g in usable
    }
    good: list[tuple[int, float, int]] = []
    for g in usable:
        group, sol = c.groups[g], results[g]
        if isinstance(sol, str):
            msgs.append(f"Group {group.name}: error {sol}")
            whys.append(f"group {group.name}: {sol}")
            continue
        msgs.append(f"Group {group.name} ({group.policy}): {describe(c, sol)}")
        if sol.found and group.policy != "unallocable":
            good.append((group.rank, sol.score, -g))
        elif not sol.found:
            whys.append(explain(c, group, sol))
        else:
            whys.append(f"group {group.name}: unallocable")
    if not good:
        if not groups:
            return Placement(text="no node group has any node", score_before=before)
        return Placement(text=", ".join(msgs), why="; ".join(whys), score_before=before)
    _, _, neg = min(good)
    g = -neg
    sol = results[g]
    assert isinstance(sol, Solution)
    text = f"Selected group: {c.groups[g].name}, " + ", ".join(msgs)
    return Placement(sol.nodes, text, group=g, score_before=before, score_after=sol.score, messages=msgs)
