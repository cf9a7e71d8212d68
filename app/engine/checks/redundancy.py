"""Global N+1 redundancy (`GlobalN1.hs: redundant`, ALGORITHM.md section 6).

A state is redundant when every node of the list can fail: its DRBD primaries fail over to
their secondaries, its shared-storage primaries move to the best node of its group, and
its other primaries (plain, file, blockdev) are re-created, largest first, on the best
node of its group. `all` over nodes is order-free, so nodes that only hold DRBD primaries
(fixed targets) are checked at once on arrays, and only nodes with other primaries are
simulated, the one that failed last time first.
"""

from __future__ import annotations

import numpy as np

from app.cluster.model import NO_NODE, BoolArray, Cluster, InstanceSpec, IntArray
from app.engine.checks.policy import policy_codes, policy_failure
from app.engine.moves import targets
from app.engine.moves.apply import failover, failover_to_any, migration_allowed
from app.engine.nodeops import add_primary, place_instance, primary_effect
from app.engine.score.listscore import Change, ListScore, last_lowest
from app.engine.score.metrics import component_values

MOVABLE = frozenset({"diskless", "sharedfile", "rbd", "ext", "gluster"})


class RedundancyCheck:
    """Answers "would the list stay N+1 redundant with this placement?" for one search.

    Nodes whose DRBD failovers already fail in the current state keep failing unless the
    placement touches them (the new primary or secondary, or a node failing over onto
    one of those): such candidates are rejected without simulating anything."""

    def __init__(self, c: Cluster, node_list: IntArray, moving: bool = False) -> None:
        self.base = c
        self.nodes = node_list
        # `moving`: change-group's group choice places a copy of an existing instance (ALGORITHM.md
        # 5.5, 9.9). hail's copy keeps the instance's index, whose record names the old nodes, so
        # hail never fails a DRBD copy over inside its new group; neither does this check.
        self.moving = moving
        self.last_failed: int | None = None
        drbd = _drbd_on(c, node_list)
        self.failing = _drbd_failing(c, drbd)
        self._secondary, self._primary = c.instances.snode[drbd], c.instances.pnode[drbd]

    def _failing_onto(self, node: int) -> set[int]:
        """The primaries of the list's DRBD instances whose secondary is `node`."""
        return set(self._primary[self._secondary == node].tolist())

    def redundant_with(self, inst: InstanceSpec, primary: int, secondary: int = NO_NODE) -> bool:
        if self.failing:  # asked only then: one search may check few of its candidates
            touched = {primary, secondary} | self._failing_onto(primary) | self._failing_onto(secondary)
            if self.failing - touched:
                return False
        c = self.base.copy()
        k = place_instance(c, inst, primary, secondary)
        if self.moving and inst.template == "drbd":
            c.instances.pnode[k] = NO_NODE  # its resources stay on primary and secondary
            c.instances.snode[k] = NO_NODE
        return redundant(c, self.nodes, self)


def _placed_on(c: Cluster, node_list: IntArray) -> BoolArray:
    """Instances whose primary is in the list (removed instances have no primary)."""
    in_list = np.zeros(len(c.nodes), dtype=bool)
    in_list[node_list] = True
    pnode = c.instances.pnode
    placed = pnode != NO_NODE
    out: BoolArray = placed & in_list[np.where(placed, pnode, 0)]
    return out


def _is_drbd(c: Cluster) -> BoolArray:
    return c.instances.specs.drbd


def _drbd_on(c: Cluster, node_list: IntArray) -> IntArray:
    out: IntArray = np.flatnonzero(_placed_on(c, node_list) & _is_drbd(c))
    return out


def redundant(c: Cluster, node_list: IntArray, memo: RedundancyCheck | None = None) -> bool:
    placed = _placed_on(c, node_list)
    drbd = _is_drbd(c)
    if _drbd_failing(c, np.flatnonzero(placed & drbd)):
        return False
    others = placed & ~drbd
    hosts = sorted(set(c.instances.pnode[others].tolist()))
    if memo is not None and memo.last_failed in hosts:
        hosts.remove(memo.last_failed)
        hosts.insert(0, memo.last_failed)
    primaries = _primaries_by_node(c, placed)
    for n in hosts:
        if _one_node_takes_all(c, n, primaries[n], node_list):
            continue
        if not can_evacuate(c, n, node_list):
            if memo is not None:
                memo.last_failed = n
            return False
    return True


def _drbd_failing(c: Cluster, idx: IntArray) -> set[int]:
    """Primary nodes whose DRBD instances (of `idx`) cannot all fail over to their
    secondaries: the checks of `move Failover` with soft checks off, all primaries of one
    node at once (memory on a secondary is summed over the instances it takes over)."""
    if len(idx) == 0:
        return set()
    n = c.nodes
    insts = c.instances
    src = insts.pnode[idx]
    dst = insts.snode[idx]
    mem = insts.specs.running_mem[idx]
    # Spindles unknown: only exclusive storage needs them, so only there are specs made to read them.
    unknown = np.zeros(len(idx), dtype=bool)
    for k in np.flatnonzero(n.excl[src] | n.excl[dst]).tolist():
        unknown[k] = insts.specs[int(idx[k])].disk_spindles is None
    key = src * len(n) + dst
    _, inv = np.unique(key, return_inverse=True)
    need = np.bincount(inv, weights=mem).astype(np.int64)[inv]
    bad = n.unalloc_mem()[dst] - need <= 0
    bad |= (n.f_dsk[dst] <= 0) | (n.excl[dst] & (unknown | (n.f_sp[dst] < 0)))
    bad |= ~n.offline[src] & (n.f_dsk[src] <= 0)
    bad |= n.excl[src] & (unknown | (n.f_sp[src] < 0))
    failing = set(src[bad].tolist())
    if any(n.mig_tags):
        failing |= {int(a) for a, b in zip(src, dst, strict=True) if not migration_allowed(c, int(a), int(b))}
    return failing


def _primaries_by_node(c: Cluster, placed: BoolArray) -> dict[int, IntArray]:
    idx = np.flatnonzero(placed)
    if len(idx) == 0:
        return {}
    pnode = c.instances.pnode[idx]
    order = np.argsort(pnode, kind="stable")
    nodes, starts = np.unique(pnode[order], return_index=True)
    return dict(zip(nodes.tolist(), np.split(idx[order], starts[1:]), strict=True))


def _one_node_takes_all(c: Cluster, node: int, mine: IntArray, node_list: IntArray) -> bool:
    """A shortcut that is never wrong: if one escape node can take every instance of `node`
    that may land on it (the DRBD ones failing over to it, and all the others) at once, each
    step of hail's simulation finds at least that node feasible, so `node` can be evacuated
    whatever the score picks (its DRBD failovers elsewhere are checked exactly before)."""
    n = c.nodes
    insts = c.instances
    specs = [insts.specs[i] for i in mine]
    escape = node_list[(n.group[node_list] == n.group[node]) & (node_list != node)]
    if len(escape) == 0:
        return False
    need_mem = np.zeros(len(escape), dtype=np.int64)
    need_dsk = 0
    need_sp = 0
    unknown_sp = False
    pos = np.full(len(n), -1, dtype=np.int64)
    pos[escape] = np.arange(len(escape))
    for i, spec in zip(mine.tolist(), specs, strict=True):
        mem = spec.memory if spec.uses_mem else 0
        if spec.template == "drbd":
            k = int(pos[insts.snode[i]])
            if k >= 0:
                need_mem[k] += mem
            continue
        need_mem += mem
        if spec.local:
            need_dsk += spec.dsk
            if spec.disk_spindles is None:
                unknown_sp = True
            else:
                need_sp += spec.disk_spindles
    excl = n.excl[escape]
    ok = (n.unalloc_mem()[escape] - need_mem > 0) & (n.f_dsk[escape] - need_dsk > 0)
    ok &= ~excl | ((not unknown_sp) & (n.f_sp[escape] - need_sp >= 0))
    if not ok.any():
        return False
    rest = [s for s in specs if s.template != "drbd" and s.template not in MOVABLE]
    shared = any(s.template in MOVABLE for s in specs)
    fits: dict[bool, bool] = {}  # the group's policy admits every instance, by exclusive storage
    for t in escape[ok].tolist():
        if shared and not migration_allowed(c, node, t):
            continue
        excl_t = bool(n.excl[t])
        if excl_t not in fits:
            policy = c.groups[int(n.group[t])].ipolicy
            fits[excl_t] = all(policy_failure(s, policy, excl_t) is None for s in rest)
        if fits[excl_t]:
            return True
    return False


def can_evacuate(c: Cluster, node: int, node_list: IntArray) -> bool:
    """Simulate the failure of `node` (`canEvacuateNode`) on a copy of the cluster."""
    c = c.copy()
    insts = c.instances
    mine = np.flatnonzero(insts.pnode == node)[::-1]  # hail's pList: newest first
    drbd = [int(i) for i in mine if insts.specs[i].template == "drbd"]
    shared = [int(i) for i in mine if insts.specs[i].template in MOVABLE]
    rest = [int(i) for i in mine if insts.specs[i].template not in MOVABLE | {"drbd"}]
    for i in drbd:
        if failover(c, i, True) is not None:
            return False
    group = int(c.nodes.group[node])
    in_group = node_list[c.nodes.group[node_list] == group]
    escape = in_group[in_group != node]
    for i in shared:
        target = targets.failover_to_any(c, i, escape, in_group, True).best()
        if target is None or failover_to_any(c, i, target, True) is not None:
            return False
    rest.sort(key=lambda i: -insts.specs[i].memory)
    for i in rest:
        target = _best_recreate_target(c, insts.specs[i], escape, node_list)
        if target is None:
            return False
        add_primary(c, target, insts.specs[i], int(insts.loc_score[i]))
    return True


def _best_recreate_target(
    c: Cluster, spec: InstanceSpec, targets: IntArray, node_list: IntArray
) -> int | None:
    """`recreate`: the feasible escape node giving the lowest score of the whole list."""
    if len(targets) == 0:
        return None
    eff = primary_effect(c, targets, spec, True)
    ok = (policy_codes(c, targets, spec) == 0) & (eff.fail == 0)
    if not ok.any():
        return None
    ls = ListScore(c, node_list)
    change = Change(targets[ok], component_values(eff.fields)[:, ok])
    pos = last_lowest(
        ls.scores([change], ls.map_delta(targets[ok], spec.excl_tags)), np.ones(int(ok.sum()), bool)
    )
    return None if pos is None else int(targets[ok][pos])
