"""Instance moves applied to a cluster in place (`Cluster/Moves.hs: applyMoveEx`).

Each move checks its target(s) the way hail does and either applies the whole move and
returns None, or leaves the cluster exactly as it was and returns the failure. With
`check=False` a move a search has already checked is applied without checking it again.
"""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster, IntArray
from app.engine.checks.failures import Fail
from app.engine.nodeops import (
    add_primary,
    add_secondary,
    primary_effect,
    remove_primary,
    remove_secondary,
    restore,
    snapshot,
)
from app.engine.score.secondary import secondary_effect


def migration_allowed(c: Cluster, src: int, dst: int) -> bool:
    """`checkMigration`: every migration tag of `src` is accepted by `dst`."""
    return c.nodes.mig_tags[src] <= c.nodes.rmig_tags[dst]


def migration_fails(c: Cluster, src: int, targets: IntArray) -> IntArray:
    """`migration_allowed` from `src` to each of `targets`, as failure codes (0: allowed)."""
    if not c.nodes.mig_tags[src]:  # no tag to accept
        return np.zeros(len(targets), dtype=np.int64)
    return np.array(
        [0 if migration_allowed(c, src, t) else int(Fail.MIG) for t in targets.tolist()], np.int64
    )


def primary_fail(c: Cluster, node: int, inst_idx: int, force: bool, loc: int) -> Fail | None:
    """Why instance `inst_idx` cannot become primary on `node` (`addPriEx`), or None."""
    spec = c.instances.specs[inst_idx]
    code = int(primary_effect(c, np.array([node]), spec, force, loc).fail[0])
    return Fail(code) if code else None


def secondary_fail(
    c: Cluster, primary: int, node: int, inst_idx: int, force: bool, ignore_disks: bool = False
) -> Fail | None:
    """Why instance `inst_idx` cannot become DRBD secondary on `node` (`addSecExEx`), or None."""
    spec = c.instances.specs[inst_idx]
    eff = secondary_effect(c, np.array([primary]), np.array([node]), spec, force, ignore_disks)
    code = int(eff.fail[0])
    return Fail(code) if code else None


def failover(c: Cluster, i: int, force: bool, check: bool = True) -> Fail | None:
    """DRBD failover: the secondary becomes primary and the primary secondary."""
    insts = c.instances
    spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    if check and not migration_allowed(c, p, s):
        return Fail.MIG
    p_off = bool(c.nodes.offline[p])
    snap = snapshot(c, [p, s]) if check else None
    remove_primary(c, p, spec, loc)
    remove_secondary(c, s, spec, p)
    why = primary_fail(c, s, i, p_off or force, loc) if check else None
    if why is None:
        add_primary(c, s, spec, loc)
        why = secondary_fail(c, s, p, i, p_off or force, ignore_disks=p_off) if check else None
    if why is not None:
        assert snap is not None  # only checks fail
        restore(c, snap)
        return why
    add_secondary(c, p, spec, s)
    insts.pnode[i], insts.snode[i] = s, p
    return None


def failover_to_any(c: Cluster, i: int, target: int, force: bool, check: bool = True) -> Fail | None:
    """Shared storage: start the instance on any other node."""
    insts = c.instances
    spec, p, loc = insts.specs[i], int(insts.pnode[i]), int(insts.loc_score[i])
    if check and not migration_allowed(c, p, target):
        return Fail.MIG
    why = primary_fail(c, target, i, bool(c.nodes.offline[p]) or force, loc) if check else None
    if why is not None:
        return why
    add_primary(c, target, spec, loc)
    remove_primary(c, p, spec, loc)
    insts.pnode[i] = target
    return None


def replace_secondary(c: Cluster, i: int, target: int, force: bool, check: bool = True) -> Fail | None:
    """DRBD: rebuild the secondary on `target` (no migration involved)."""
    insts = c.instances
    spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    new_loc = c.pair_location(p, target)
    snap = snapshot(c, [p, s, target]) if check else None
    remove_primary(c, p, spec, loc)
    remove_secondary(c, s, spec, p)
    why = secondary_fail(c, p, target, i, bool(c.nodes.offline[s]) or force) if check else None
    if why is None:
        add_secondary(c, target, spec, p)
        why = primary_fail(c, p, i, True, new_loc) if check else None
    if why is not None:
        assert snap is not None  # only checks fail
        restore(c, snap)
        return why
    add_primary(c, p, spec, new_loc)
    insts.snode[i] = target
    insts.loc_score[i] = new_loc
    return None
