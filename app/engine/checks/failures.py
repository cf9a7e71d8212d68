"""Why a candidate was rejected: hail's failure modes (`Types.hs: FailMode`) and how the
counts read in an answer's `info` (ALGORITHM.md 3.7)."""

from __future__ import annotations

from collections import Counter
from enum import IntEnum


class Fail(IntEnum):
    """In hail's fixed reporting order (numbered from 1 so that every mode is truthy)."""

    MEM = 1
    DISK = 2
    CPU = 3
    N1 = 4
    TAGS = 5
    MIG = 6
    DISK_COUNT = 7
    SPINDLES = 8
    INTERNAL = 9

    @property
    def code(self) -> str:
        return _CODES[self]


_CODES = {
    Fail.MEM: "FailMem",
    Fail.DISK: "FailDisk",
    Fail.CPU: "FailCPU",
    Fail.N1: "FailN1",
    Fail.TAGS: "FailTags",
    Fail.MIG: "FailMig",
    Fail.DISK_COUNT: "FailDiskCount",
    Fail.SPINDLES: "FailSpindles",
    Fail.INTERNAL: "FailInternal",
}

# The constraint behind each code, in words an operator reads (our own `info` addition).
MEANING = {
    Fail.MEM: "memory (incl. N+1 reservation)",
    Fail.DISK: "disk, spindle ratio or disk template",
    Fail.CPU: "vcpu ratio or cpu spec",
    Fail.N1: "global N+1 redundancy",
    Fail.TAGS: "exclusion tags",
    Fail.MIG: "migration tags",
    Fail.DISK_COUNT: "disk count",
    Fail.SPINDLES: "spindles",
    Fail.INTERNAL: "internal policy error",
}


def format_counts(counts: Counter[Fail]) -> str:
    """`FailMem: 3, FailN1: 2` in hail's order, zero counts left out."""
    return ", ".join(f"{mode.code}: {counts[mode]}" for mode in Fail if counts[mode])


def explain_counts(counts: Counter[Fail]) -> str:
    """`3 short of memory (incl. N+1 reservation), 2 ...`: the same counts in words."""
    return ", ".join(f"{counts[mode]} {MEANING[mode]}" for mode in Fail if counts[mode])
