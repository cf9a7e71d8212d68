"""The jobs Ganeti runs for a move (`Cluster/Utils.hs: iMoveToJob`, ALGORITHM.md 5.4).

Field names, values and key order are those of hail's answers; each opcode is one that
Ganeti 3.0's `opcodes.OpCode.LoadOpCode` loads and `Validate(True)` accepts.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.cluster.model import Cluster
from app.engine.moves.evacuate import Move

Opcode = dict[str, object]


def migrate(instance: str, target: str | None = None) -> Opcode:
    """`OP_INSTANCE_MIGRATE`, falling back to a failover when the instance is stopped."""
    op: Opcode = {"OP_ID": "OP_INSTANCE_MIGRATE", "instance_name": instance}
    if target is not None:
        op["target_node"] = target
    op |= {
        "allow_runtime_changes": False,
        "ignore_ipolicy": False,
        "cleanup": False,
        "allow_failover": True,
        "ignore_hvversions": True,
    }
    return op


def replace_secondary(instance: str, node: str) -> Opcode:
    """`OP_INSTANCE_REPLACE_DISKS` building the instance's DRBD secondary on `node`."""
    return {
        "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
        "instance_name": instance,
        "early_release": False,
        "ignore_ipolicy": False,
        "mode": "replace_new_secondary",
        "disks": [],
        "remote_node": node,
    }


def job(c: Cluster, i: int, moves: Sequence[Move]) -> list[Opcode]:
    """One job: the opcodes of the moves, in order."""
    name = c.instances.names[i]
    ops: list[Opcode] = []
    for move in moves:
        if move.kind == "replace_secondary":
            ops.append(replace_secondary(name, c.nodes.names[move.target]))
        elif move.kind == "failover_to_any":
            ops.append(migrate(name, c.nodes.names[move.target]))
        else:
            ops.append(migrate(name))
    return ops


def after_all(ops: list[Opcode], earlier_jobs: int) -> list[Opcode]:
    """The job made to wait for the `earlier_jobs` submitted before it in the same answer
    (relative job dependencies, doc/design-chained-jobs.rst), each having to succeed."""
    if not ops or earlier_jobs == 0:
        return ops
    first = dict(ops[0])
    first["depends"] = [[-k, ["success"]] for k in range(1, earlier_jobs + 1)]
    return [first, *ops[1:]]
