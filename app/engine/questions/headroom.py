"""How many more instances of one shape fit, per group, and what runs out first: Ganeti's
`hspace` standard allocation as a function. Instances are placed one after another with the
engine's own `allocate` (each placement updating the state) until one fails. Pure, no I/O.

With the global N+1 check on, hspace's speed-up is used (`Cluster.hs: iterateAlloc`): a run
of placements is made without the check and kept when the state after it is redundant
(more instances never make a state redundant again, so each placement on the way would
have passed it); otherwise runs of 10, and at the end one by one with the check.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from app.cluster.build import request_spec
from app.cluster.model import NO_NODE, Cluster
from app.engine.checks.failures import MEANING, Fail
from app.engine.checks.redundancy import redundant
from app.engine.nodeops import place_instance
from app.engine.options import EngineOptions
from app.engine.placement.search import SearchTrace, Solution
from app.engine.reply import Reply
from app.engine.requests.allocate import allocate
from app.engine.score.metrics import score_of
from app.protocol.request import AllocateRequest, Disk, DiskTemplate

PROBE = "capacity-probe-"  # names of the simulated instances
DEFAULT_LIMIT = 1000
SMALL_STEP = 10  # hspace: after a failed guessed run, runs of 10, then one by one
MIN_GUESS = 20
DRBD_META_SIZE = 128  # MiB of DRBD metadata per disk
MAX, TIME = "max", "time"  # why a count was capped


def disk_space(template: str, sizes: Sequence[int]) -> int:
    """What Ganeti charges on each node holding the disks (`ComputeDiskSize`): DRBD adds its
    metadata per disk, diskless and blockdev use no node disk."""
    if template in ("diskless", "blockdev"):
        return 0
    return sum(sizes) + (DRBD_META_SIZE * len(sizes) if template == "drbd" else 0)


def probe_request(
    memory: int,
    vcpus: int,
    disk_template: DiskTemplate,
    disks: Sequence[Disk],
    spindle_use: int = 1,
    disk_space_total: int | None = None,
) -> AllocateRequest:
    """The allocate request of one more instance of this shape (hspace's `instFromSpec`);
    DRBD needs two nodes, everything else one."""
    total = (
        disk_space(disk_template, [d.size for d in disks]) if disk_space_total is None else disk_space_total
    )
    return AllocateRequest(
        type="allocate",
        name=PROBE + "0",
        required_nodes=2 if disk_template == "drbd" else 1,
        memory=memory,
        vcpus=vcpus,
        disk_template=disk_template,
        disks=list(disks),
        spindle_use=spindle_use,
        disk_space_total=total,
    )


@dataclass(frozen=True)
class Stop:
    """Why the last placement failed: hail's most frequent failure code and its constraint
    in words, with every code's count (`code` None: no code, `reason` says why)."""

    code: str | None
    reason: str
    counts: dict[str, int]


@dataclass(frozen=True)
class GroupRoom:
    group: str
    alloc_policy: str
    count: int  # instances placed in the group (primary there)
    stop: Stop | None  # None when the count was capped


@dataclass(frozen=True)
class Headroom:
    count: int
    groups: list[GroupRoom]
    stop: Stop | None  # None when capped
    info: str  # the failed placement's answer ("" when capped)
    capped_by: str | None  # MAX or TIME when the count stopped before a failure
    score_before: float
    score_after: float


@dataclass
class _Run:
    """Placements made so far on `c` and how the last attempt ended."""

    c: Cluster
    primaries: list[int] = field(default_factory=list)
    failed: Reply | None = None
    trace: SearchTrace | None = None
    capped_by: str | None = None

    @property
    def ended(self) -> bool:
        return self.failed is not None or self.capped_by is not None

    def fork(self) -> _Run:
        return _Run(self.c.copy(), list(self.primaries))

    def place(
        self, req: AllocateRequest, opts: EngineOptions, count: int, limit: int, deadline: float
    ) -> None:
        """Up to `count` more placements; stops at a failure, at `limit` in all or past `deadline`."""
        if len(self.primaries) >= limit:
            self.capped_by = MAX
            return
        for _ in range(count):
            if time.monotonic() > deadline:
                self.capped_by = TIME
                return
            trace = SearchTrace(0)
            attempt = req.model_copy(update={"name": f"{PROBE}{len(self.primaries)}"})
            reply = allocate(self.c, attempt, replace(opts, trace=trace))
            if not reply.success:
                self.failed, self.trace = reply, trace
                return
            nodes = [self.c.node_index[name] for name in reply.nodes]
            spec = request_spec(attempt, self.c)
            place_instance(self.c, spec, nodes[0], nodes[1] if len(nodes) > 1 else NO_NODE)
            self.primaries.append(nodes[0])
            if len(self.primaries) >= limit:
                self.capped_by = MAX
                return


def headroom(
    c: Cluster,
    req: AllocateRequest,
    opts: EngineOptions,
    limit: int = DEFAULT_LIMIT,
    budget: float = float("inf"),
) -> Headroom:
    """Place copies of `req` until one fails, at most `limit` of them and for at most
    `budget` seconds (then the count is capped: at least that many fit)."""
    everything = np.arange(len(c.nodes), dtype=np.int64)
    before = score_of(c, everything)
    run = _fill(_Run(c), req, opts, limit, time.monotonic() + budget)
    placed = Counter(int(run.c.nodes.group[p]) for p in run.primaries)
    searched = {s.group: s.solution for s in run.trace.searches} if run.trace and not run.capped_by else {}
    stop, info = None, ""
    if run.failed is not None and not run.capped_by:
        info = run.failed.info
        allocable = [sol for g, sol in searched.items() if run.c.groups[g].policy != "unallocable"]
        stop = _stop(sum((sol.fails for sol in allocable), Counter()), info)
    groups = [
        GroupRoom(g.name, g.policy, placed[i], _group_stop(run.c, i, searched, stop))
        for i, g in enumerate(run.c.groups)
    ]
    after = score_of(run.c, everything)
    return Headroom(len(run.primaries), groups, stop, info, run.capped_by, before, after)


def _fill(run: _Run, req: AllocateRequest, opts: EngineOptions, limit: int, deadline: float) -> _Run:
    if not opts.capacity_checks:
        run.place(req, opts, limit, limit, deadline)
        return run
    unchecked = replace(opts, capacity_checks=False)
    everything = np.arange(len(run.c.nodes), dtype=np.int64)
    guess = True
    while not run.ended:
        trial = run.fork()
        trial.place(
            req, unchecked, _guess(run.c, req.memory, limit) if guess else SMALL_STEP, limit, deadline
        )
        if len(trial.primaries) == len(run.primaries):
            return trial  # nothing more fits even unchecked (the checked attempt fails alike), or capped
        if redundant(trial.c, everything):
            run = trial
        elif guess:
            guess = False
        else:
            run.place(req, opts, limit, limit, deadline)
    return run


def _guess(c: Cluster, memory: int, limit: int) -> int:
    """hspace's `guessBigstepSize`: about what the memory allows, minus one per node."""
    if memory <= 0:
        return limit
    online = ~c.nodes.offline
    avail = np.maximum(c.nodes.unalloc_mem()[online] - c.nodes.r_mem[online], 0)
    return max(MIN_GUESS, int(avail.sum()) // memory - int(online.sum()))


def _stop(counts: Counter[Fail], info: str) -> Stop:
    if not counts:
        return Stop(None, info.removeprefix("Request failed: "), {})
    code = max(Fail, key=lambda mode: (counts[mode], -mode))  # equal counts: hail's order
    return Stop(code.code, MEANING[code], {mode.code: counts[mode] for mode in Fail if counts[mode]})


def _group_stop(c: Cluster, g: int, searched: dict[int, Solution], stop: Stop | None) -> Stop | None:
    """Why group `g` took no more: its search in the failed attempt (none when capped;
    the overall reason when nothing was searched, as in dedicated allocation)."""
    if stop is None or not searched:
        return stop
    sol = searched.get(g)
    if sol is None:
        if not len(c.group_nodes(g)):
            return Stop(None, "the group has no nodes", {})
        return Stop(None, "no candidate nodes: offline, drained or outside the node restriction", {})
    if sol.found:
        return Stop(None, "alloc_policy unallocable: never chosen", {})
    return _stop(sol.fails, "unknown reasons")
