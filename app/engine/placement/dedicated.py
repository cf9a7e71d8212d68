"""Dedicated allocation on exclusive-storage groups (`HTools/Dedicated.hs`, ALGORITHM.md 7.1).

Instead of the balance score, a candidate is judged by what it costs the node: how many
instances of each policy "min" size the node could still take, lost by the placement,
then the free disk left. Less lost capacity wins.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from app.cluster.model import RUNNING, Cluster, InstanceSpec, IntArray
from app.engine.checks.failures import Fail, format_counts
from app.engine.nodeops import primary_effect
from app.engine.options import EngineOptions
from app.engine.placement.place import Placement, candidates, network_error
from app.engine.placement.search import policy_codes
from app.engine.score.metrics import NodeFields
from app.engine.score.secondary import secondary_effect

Metric = tuple[tuple[int, ...], int]
MAX_COPIES = 1_000_000  # guards against zero-sized policy specs


def dedicated_applies(c: Cluster, group_name: str | None) -> bool:
    """Every node of the relevant groups has exclusive storage. Unlike hail, a group named
    by UUID counts, and an empty set of relevant groups does not switch modes."""
    if group_name is not None:
        groups = c.group_index(group_name)
    else:
        groups = [g for g, grp in enumerate(c.groups) if grp.policy != "unallocable"]
    nodes = np.concatenate([c.group_nodes(g) for g in groups]) if groups else np.zeros(0, np.int64)
    return len(nodes) > 0 and bool(c.nodes.excl[nodes].all())


def _test_instances(c: Cluster, group: int) -> list[InstanceSpec]:
    specs = [pair.min for pair in c.groups[group].ipolicy.minmax]
    specs.sort(key=lambda s: -s.disk_size)
    return [
        InstanceSpec(
            name="test",
            memory=s.memory_size,
            vcpus=s.cpu_count,
            dsk=s.disk_size,
            template="plain",
            spindle_use=s.spindle_use,
            disk_sizes=(),
            disk_spindles=0,
            run_state=RUNNING,
            excl_tags=(),
            desired_loc=frozenset(),
            networks=frozenset(),
        )  # fmt: skip
        for s in specs
    ]


def _copies(f: NodeFields, k: int, ratio: float, excl: bool, t: InstanceSpec) -> int:
    """How many copies of `t` fit one after another with strict `addPri` on node `k`."""
    unalloc, f_dsk, i_sp = int(f.unalloc[k]), int(f.f_dsk[k]), float(f.i_sp[k])
    u_cpu, fail_n1, forth = int(f.u_cpu[k]), bool(f.fail_n1[k]), int(f.f_mem_forth[k])
    r_mem, hi_sp, t_cpu, f_sp = int(f.r_mem[k]), float(f.hi_sp[k]), float(f.t_cpu[k]), int(f.f_sp[k])
    count = 0
    while count < MAX_COPIES:
        free, dsk, isp = unalloc - t.memory, f_dsk - t.dsk, 0.0 if excl else i_sp + t.spindle_use
        n1 = free <= r_mem
        if free <= 0 or dsk <= 0 or (excl and f_sp < 0) or isp > hi_sp or (n1 and not fail_n1):
            break
        if (ratio >= 0 and (u_cpu + t.vcpus) / t_cpu > ratio) or forth - t.memory <= 0:
            break
        unalloc, f_dsk, i_sp, u_cpu, fail_n1, forth = free, dsk, isp, u_cpu + t.vcpus, n1, forth - t.memory
        count += 1
    return count


def _vector(c: Cluster, f: NodeFields, nodes: IntArray, tests: list[InstanceSpec]) -> list[list[int]]:
    return [
        [_copies(f, k, float(c.nodes.vcpu_ratio[n]), bool(c.nodes.excl[n]), t) for t in tests]
        for k, n in enumerate(nodes)
    ]


@dataclass
class _Result:
    nodes: tuple[int, ...] = ()
    metric: Metric | None = None
    successes: int = 0
    fails: Counter[Fail] | None = None


def _search(c: Cluster, group: int, inst: InstanceSpec, required: int, cands: IntArray,
            opts: EngineOptions) -> _Result:  # fmt: skip
    from app.engine.score.metrics import node_fields

    tests = _test_instances(c, group)
    before = _vector(c, node_fields(c, cands), cands, tests)
    pri = primary_effect(c, cands, inst, opts.ignore_soft_errors)
    pol = policy_codes(c, cands, inst)
    codes = np.where(pol > 0, pol, pri.fail)
    after = _vector(c, pri.fields, cands, tests)
    res = _Result(fails=Counter())
    options: list[tuple[Metric, tuple[int, ...]]] = []
    for k, p in enumerate(cands):
        lost = [a - b for a, b in zip(before[k], after[k], strict=True)]
        others = [s for s in cands if s != p] if required == 2 else [None]
        for s in others:
            if codes[k]:
                res.fails[Fail(int(codes[k]))] += 1  # type: ignore[index]
                continue
            if s is None:
                options.append(((tuple(lost), int(pri.fields.f_dsk[k])), (int(p),)))
                continue
            sec = secondary_effect(c, np.array([p]), np.array([s]), inst)
            if sec.fail[0]:
                res.fails[Fail(int(sec.fail[0]))] += 1  # type: ignore[index]
                continue
            sk = int(np.flatnonzero(cands == s)[0])
            s_after = _vector(c, sec.fields, np.array([s]), tests)[0]
            lost_s = [a - b for a, b in zip(before[sk], s_after, strict=True)]
            total = tuple(x + y for x, y in zip(lost, lost_s, strict=True))
            options.append(((total, int(pri.fields.f_dsk[k]) + int(sec.fields.f_dsk[0])), (int(p), int(s))))
    res.successes = len(options)
    if options:
        best = min(range(len(options)), key=lambda j: (options[j][0], -j))
        res.metric, res.nodes = options[best]
    return res


def _describe(c: Cluster, res: _Result) -> str:
    failures = sum((res.fails or Counter()).values())
    if res.metric is None:
        reasons = format_counts(res.fails or Counter()) or "unknown reasons"
        return f"No valid allocation solutions, failure reasons: {reasons}"
    vec, dsk = res.metric
    names = "/".join(c.nodes.names[n] for n in res.nodes)
    return (
        f"score: ([{','.join(map(str, vec))}],{dsk}), successes {res.successes}, failures {failures}"
        f" ({format_counts(res.fails or Counter())}) for node(s) {names}"
    )


def place_dedicated(
    c: Cluster,
    inst: InstanceSpec,
    required_nodes: int,
    group_name: str | None,
    restrict: tuple[str, ...] | None,
    opts: EngineOptions,
) -> Placement:
    if required_nodes not in (1, 2):
        return Placement(text="Unsupported number of nodes, only one or two  supported")
    if group_name is not None:
        found = c.group_index(group_name)
        if len(found) != 1:
            return Placement(text=f"Wrong number of elems found with name {group_name}")
        groups = found
    else:
        groups = [g for g in range(len(c.groups)) if len(c.group_nodes(g))]
    msgs: list[str] = []
    good: list[tuple[int, Metric, int]] = []
    results: dict[int, _Result] = {}
    for g in groups:
        group = c.groups[g]
        err = network_error(group, inst)
        if err:
            msgs.append(f"Group {group.name}: error The {err}")
            continue
        cands = candidates(c, g, restrict)
        if len(cands) < required_nodes:
            missing = "No online nodes" if required_nodes == 1 else "Not enough online nodes"
            msgs.append(f"Group {group.name}: error {missing}")
            continue
        res = results[g] = _search(c, g, inst, required_nodes, cands, opts)
        msgs.append(f"Group {group.name} ({group.policy}): {_describe(c, res)}")
        if res.metric is not None and (group_name is not None or group.policy != "unallocable"):
            good.append((group.rank if group_name is None else 0, res.metric, -g))
    if not good:
        return Placement(text=", ".join(msgs) or "no node group has any node")
    _, _, neg = min(good)
    g = -neg
    prefix = "" if group_name is not None else f"Selected group: {c.groups[g].name}, "
    text = msgs[0] if group_name is not None else prefix + ", ".join(msgs)
    return Placement(results[g].nodes, text, group=g)
