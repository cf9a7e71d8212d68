"""A balancing plan as Ganeti runs it: job sets (`Cluster.hs: splitJobs`), each move's opcodes
(`Cluster/Utils.hs: iMoveToJob`) and the `gnt-instance` commands hbal -C prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.balance.options import SHORT, MoveKind
from app.engine.moves.opcodes import Opcode, migrate, replace_secondary


@dataclass(frozen=True)
class Step:
    """One move of the plan: the instance's nodes before and after (primary first), the group's
    score after it, and the nodes it touches (hbal's `involvedNodes`)."""

    instance: str
    kind: MoveKind
    old_nodes: tuple[str, ...]
    new_nodes: tuple[str, ...]
    score: float
    running: bool  # migrated live, else failed over

    @property
    def touched(self) -> frozenset[str]:
        return frozenset(self.old_nodes) | frozenset(self.new_nodes)

    @property
    def short(self) -> str:
        """hbal's `a=...` notation of the move."""
        new_s = self.new_nodes[1] if len(self.new_nodes) > 1 else ""
        return SHORT[self.kind].format(p=self.new_nodes[0], s=new_s)

    def _parts(self) -> list[tuple[str, str | None]]:
        """The move as migrations ("f", target or None) and disk replacements ("r", node)."""
        p = self.new_nodes[0]
        s = self.new_nodes[1] if len(self.new_nodes) > 1 else ""
        parts: dict[MoveKind, list[tuple[str, str | None]]] = {
            "failover": [("f", None)],
            "failover_to_any": [("f", p)],
            "replace_secondary": [("r", s)],
            "replace_and_failover": [("r", p), ("f", None)],
            "replace_primary": [("f", None), ("r", p), ("f", None)],
            "failover_and_replace": [("f", None), ("r", s)],
        }
        return parts[self.kind]

    def opcodes(self) -> list[Opcode]:
        """The job Ganeti runs for the move (the shape of node-evacuate's jobs)."""
        return [
            migrate(self.instance, node) if what == "f" else replace_secondary(self.instance, node or "")
            for what, node in self._parts()
        ]

    def commands(self) -> list[str]:
        """`gnt-instance ...` lines, as hbal -C prints them."""
        verb = "migrate" if self.running else "failover"
        out = []
        for what, node in self._parts():
            if what == "r":
                out.append(f"gnt-instance replace-disks -n {node} {self.instance}")
            elif node is None:
                out.append(f"gnt-instance {verb} -f {self.instance}")
            else:
                out.append(f"gnt-instance {verb} -f -n {node} {self.instance}")
        return out


def split_jobs(steps: Sequence[Step]) -> list[list[int]]:
    """Job sets of step indices: hbal's `splitJobs`, which walks the moves from the last one
    back, adding each to the current set while it touches none of the set's nodes."""
    sets: list[list[int]] = []
    busy: set[str] = set()
    for k in range(len(steps) - 1, -1, -1):
        nodes = steps[k].touched
        if sets and not nodes & busy:
            sets[0].insert(0, k)
            busy |= nodes
        else:
            sets.insert(0, [k])
            busy = set(nodes)
    return sets


def format_commands(steps: Sequence[Step], sets: Sequence[Sequence[int]]) -> str:
    """hbal -C's command list (`formatCmds`)."""
    lines = ["Commands to run to reach the above solution:"]
    for n, jobset in enumerate(sets, 1):
        lines += ["  ", f"  echo jobset {n}, {len(jobset)} jobs"]
        for j, k in enumerate(jobset, 1):
            lines.append(f"    echo job {n}/{j}")
            lines += [f"    {cmd}" for cmd in steps[k].commands()]
    return "\n".join(lines) + "\n"
