"""hbal's moves applied in place with hail's checks (`Cluster/Moves.hs: applyMoveEx`): the three
single moves of `moves.apply` and the DRBD combinations built from them.

Each either applies the whole move and returns None, or leaves the cluster as it was and
returns the failure.
"""

from __future__ import annotations

from app.cluster.model import Cluster
from app.engine.balance.options import MoveKind
from app.engine.checks.failures import Fail
from app.engine.moves.apply import (
    failover,
    failover_to_any,
    migration_allowed,
    primary_fail,
    replace_secondary,
    secondary_fail,
)
from app.engine.nodeops import add_primary, add_secondary, remove_primary, remove_secondary, restore, snapshot


def _combined(c: Cluster, i: int, target: int, kind: MoveKind, force: bool) -> Fail | None:
    """ReplacePrimary, ReplaceAndFailover or FailoverAndReplace to `target`: the instance
    leaves both its nodes, then is added as primary and secondary on its new pair."""
    insts, off = c.instances, c.nodes.offline
    spec, p, s, loc = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i]), int(insts.loc_score[i])
    force_p = bool(off[p]) or force
    force_s = bool(off[s]) or force
    if kind == "replace_primary":
        new_p, new_s, pri_force, sec_force = target, s, force_p, force_p
        migrations = [(p, s), (s, target)]
    elif kind == "replace_and_failover":
        new_p, new_s, pri_force, sec_force = target, p, force, force_s
        migrations = [(p, target)]
    else:
        new_p, new_s, pri_force, sec_force = s, target, force_p, force_p
        migrations = [(p, s)]
    if not all(migration_allowed(c, src, dst) for src, dst in migrations):
        return Fail.MIG
    new_loc = c.pair_location(new_p, new_s)
    snap = snapshot(c, sorted({p, s, target}))
    remove_primary(c, p, spec, loc)
    remove_secondary(c, s, spec, p)
    # ReplacePrimary first checks that the old secondary could run the instance meanwhile
    why = primary_fail(c, s, i, force_p, new_loc) if kind == "replace_primary" else None
    why = why or primary_fail(c, new_p, i, pri_force, new_loc)
    if why is None:
        add_primary(c, new_p, spec, new_loc)
        why = secondary_fail(c, new_p, new_s, i, sec_force)
    if why is not None:
        restore(c, snap)
        return why
    add_secondary(c, new_s, spec, new_p)
    insts.pnode[i], insts.snode[i], insts.loc_score[i] = new_p, new_s, new_loc
    return None


def apply_move(c: Cluster, i: int, kind: MoveKind, target: int, force: bool) -> Fail | None:
    """Move instance `i` (`target` is ignored by a failover)."""
    if kind == "failover":
        return failover(c, i, force)
    if kind == "failover_to_any":
        return failover_to_any(c, i, target, force)
    if kind == "replace_secondary":
        return replace_secondary(c, i, target, force)
    return _combined(c, i, target, kind, force)
