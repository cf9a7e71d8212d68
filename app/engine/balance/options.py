"""hbal's algorithm options (`AlgorithmParams.hs`, `CLI.hs` defaults) and its move kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MoveKind = Literal[
    "failover",
    "failover_to_any",
    "replace_secondary",
    "replace_and_failover",
    "replace_primary",
    "failover_and_replace",
]
# hbal's short notation of each move (`computeMoves`): f, fa:P, r:S, r:P f, f r:P f, f r:S
SHORT: dict[MoveKind, str] = {
    "failover": "f",
    "failover_to_any": "fa:{p}",
    "replace_secondary": "r:{s}",
    "replace_and_failover": "r:{p} f",
    "replace_primary": "f r:{p} f",
    "failover_and_replace": "f r:{s}",
}
# Templates hbal moves at all (`Instance.movableDiskTemplates`; diskless is not one).
MOVABLE = frozenset({"drbd", "blockdev", "sharedfile", "gluster", "rbd", "ext"})


@dataclass(frozen=True)
class BalanceOptions:
    """What hbal's flags change; defaults are hbal's."""

    max_length: int = -1  # -l: at most this many moves (-1: no limit)
    min_gain: float = 0.01  # -g: the least gain of a step, once the score is under ...
    min_gain_limit: float = 0.1  # --min-gain-limit
    min_score: float = 1e-9  # -e: stop this close to the optimum the N+1 reserve allows
    disk_moves: bool = True  # --no-disk-moves
    instance_moves: bool = True  # --no-instance-moves
    restricted_migration: bool = False  # --restricted-migration
    evac_mode: bool = False  # --evac-mode: only instances on offline or drained nodes
    ignore_soft_errors: bool = False  # --ignore-soft-errors
    select_instances: tuple[str, ...] = ()  # --select-instances: only these move
    exclude_instances: tuple[str, ...] = ()  # --exclude-instances: these never move
    group: str | None = None  # -G: the group to balance (name or UUID); None: each group
