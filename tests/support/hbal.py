"""Runs Ganeti's hbal on the cluster of a document: hail writes the cluster as htools text
state (`hail -S`), `hbal -t STATE` balances it; its moves and scores are read off its output."""

from __future__ import annotations

import copy
import json
import os
import random
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.gen import Doc
from tests.support.hail import HAIL

HBAL = "/usr/bin/hbal"
SKIP_REASON = f"hbal or hail is not installed ({HBAL}, {HAIL}; Debian package ganeti-htools)"
NEUTRAL_REQUEST = {"type": "node-evacuate", "instances": [], "evac_mode": "all"}

_STEP = re.compile(r"^\s*(\d+)\. (\S+)\s+(\S+)\s+=> (\S+)\s+([0-9.]+) a=(.*)$")
_INITIAL = re.compile(r"^Initial score: ([0-9.]+)$", re.M)
_FINAL = re.compile(r"^Cluster score improved from ([0-9.]+) to ([0-9.]+)$", re.M)


@dataclass(frozen=True)
class HbalMove:
    instance: str  # full names (hbal prints them without the common suffix)
    old_nodes: tuple[str, ...]
    new_nodes: tuple[str, ...]
    score: float
    short: str  # hbal's a=... with full node names


@dataclass(frozen=True)
class HbalRun:
    initial: float
    final: float
    moves: list[HbalMove]
    output: str
    seconds: float


def hbal_available() -> bool:
    return os.access(HBAL, os.X_OK) and os.access(HAIL, os.X_OK)


def text_state(doc: Doc, directory: Path) -> Path:
    """The cluster of `doc` in htools text format, as hail loaded it."""
    src = directory / "doc.json"
    src.write_text(json.dumps(doc if "request" in doc else doc | {"request": NEUTRAL_REQUEST}))
    subprocess.run(
        [HAIL, "-S", str(directory / "state"), str(src)], capture_output=True, check=True, timeout=120
    )
    return directory / "state.pre-ialloc"


def _full(alias: str, names: Sequence[str]) -> str:
    if alias in names:
        return alias
    return next(n for n in names if n.startswith(alias + "."))


def parse_output(out: str, nodes: Sequence[str], instances: Sequence[str], seconds: float = 0.0) -> HbalRun:
    initial_m = _INITIAL.search(out)
    initial = float(initial_m.group(1)) if initial_m else float("nan")
    moves = []
    for line in out.splitlines():
        m = _STEP.match(line)
        if m:
            old = tuple(_full(a, nodes) for a in m.group(3).split(":"))
            new = tuple(_full(a, nodes) for a in m.group(4).split(":"))
            short = re.sub(r"(?<=:)([^ ]+)", lambda x: _full(x.group(1), nodes), m.group(6).strip())
            moves.append(HbalMove(_full(m.group(2), instances), old, new, float(m.group(5)), short))
    final_m = _FINAL.search(out)
    final = float(final_m.group(2)) if final_m else initial
    return HbalRun(initial, final, moves, out, seconds)


def run_hbal(doc: Doc, flags: Sequence[str] = (), timeout: float = 600) -> HbalRun:
    """hbal's plan for the cluster of `doc` (one group, or -G in `flags`)."""
    with tempfile.TemporaryDirectory(prefix="hbal.") as tmp:
        state = text_state(doc, Path(tmp))
        started = time.perf_counter()
        proc = subprocess.run(
            [HBAL, "-t", str(state), "-C", *flags], capture_output=True, text=True, timeout=timeout
        )
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"hbal exited with status {proc.returncode}: {proc.stderr.strip()}")
    return parse_output(proc.stdout, list(doc["nodes"]), list(doc["instances"]), seconds)


def with_empty_nodes(doc: Doc, count: int, rng: random.Random) -> Doc:
    """`doc` with `count` new empty nodes, copies of live nodes of the first group (new
    hardware: what makes a cluster worth balancing)."""
    out = copy.deepcopy(doc)
    live = [(name, n) for name, n in doc["nodes"].items() if "total_memory" in n and not n["drained"]]
    group = live[0][1]["group"]
    live = [(name, n) for name, n in live if n["group"] == group]
    base = live[0][0].split(".", 1)
    for k in range(count):
        _, node = rng.choice(live)
        name = f"{base[0]}n{k}.{base[1]}" if len(base) > 1 else f"{base[0]}n{k}"
        fresh = copy.deepcopy(node) | {
            "free_memory": int(node["total_memory"]) - node["reserved_memory"] - rng.randrange(256),
            "free_disk": int(node["total_disk"]) - rng.randrange(1024),
            "free_spindles": node["total_spindles"],
            "i_pri_memory": 0,
            "i_pri_up_memory": 0,
            "tags": list(node["tags"]),
        }
        out["nodes"][name] = fresh
    return out
