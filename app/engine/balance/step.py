"""One greedy step of hbal (`Cluster.hs: checkMove`): the best move of any movable instance of a
node group, scored over the group's nodes as hbal scores it (a full `compCV`).

Scores are ranked with the incremental update and refolded exactly near the lowest
(`ListScore.scores`), so that equal scores tie as they tie in hbal: the first candidate in
hbal's order (instances in input order; per instance the failover, then per target node the
kinds of `possibleMoves`) wins.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from app.cluster.model import BoolArray, Cluster, IntArray
from app.engine.balance.cache import Kept, part_size
from app.engine.balance.candidates import KINDS, PER_TARGET, Batch, drbd_kinds, to_any
from app.engine.balance.drbd import drbd_candidates, emit
from app.engine.balance.options import MOVABLE, BalanceOptions, MoveKind
from app.engine.balance.score import scores as group_scores
from app.engine.score.listscore import ListScore

CHUNK_CANDIDATES = 1 << 17  # about the most candidates computed afresh scored together


@dataclass(frozen=True)
class Choice:
    """The move a step makes and the group's score after it."""

    instance: int
    kind: MoveKind
    target: int
    score: float
    order: int = 0  # the move's position in hbal's order


def allowed(c: Cluster, opts: BalanceOptions) -> BoolArray:
    """The instances hbal may move wherever they are: a movable template, selected and not
    excluded."""
    sel, out = opts.select_instances, opts.exclude_instances
    return np.array(
        [
            s.template in MOVABLE and s.name not in out and (not sel or s.name in sel)
            for s in c.instances.specs
        ],
        dtype=bool,
    )


def movable(
    c: Cluster, group_nodes: IntArray, opts: BalanceOptions, allowed_now: BoolArray | None = None
) -> list[int]:
    """The instances hbal may move in the group, in input order (`tryBalance`'s `reloc_inst`):
    `allowed` ones (`allowed_now`, if known) with both nodes in the group, and in evacuation
    mode only those with a node offline or drained."""
    insts, off = c.instances, c.nodes.offline
    inside = np.zeros(len(c.nodes), dtype=bool)
    inside[group_nodes] = True
    p, s = insts.pnode, insts.snode
    has_s = s >= 0
    s_at = np.where(has_s, s, 0)
    ok = (allowed(c, opts) if allowed_now is None else allowed_now) & inside[p] & (~has_s | inside[s_at])
    if opts.evac_mode:
        ok &= off[p] | has_s & off[s_at]
    out: list[int] = np.flatnonzero(ok).tolist()
    return out


def add_instance(c: Cluster, i: int, online: IntArray, opts: BalanceOptions,
                 known: Counter[tuple[str, str]], pairs: Batch, triples: Batch) -> None:  # fmt: skip
    """Every candidate move of instance `i` to the `online` nodes (`checkInstanceMove`). Order
    slots follow instance numbers: the moving instances are in input order."""
    insts, force = c.instances, opts.ignore_soft_errors
    spec, p, s = insts.specs[i], int(insts.pnode[i]), int(insts.snode[i])
    targets = online[(online != p) & (online != s)]
    base = i * (1 + PER_TARGET * len(c.nodes))
    if spec.template != "drbd":
        if opts.instance_moves and len(targets):
            to_any(c, i, targets, base + 1 + PER_TARGET * targets, known, force, pairs)
        return
    use_secondary = bool(np.any(online == s)) and opts.instance_moves
    kinds = drbd_kinds(opts, use_secondary, bool(c.nodes.offline[p])) if len(targets) else []
    if kinds or use_secondary:
        emit(drbd_candidates(c, i, targets, base, kinds, use_secondary, known, force), pairs, triples)


class PastDeadline(Exception):
    """The deadline passed in the middle of a step."""


def _fresh(ls: ListScore, victims: list[int], opts: BalanceOptions, deadline: float | None) -> Choice | None:
    """The best move of `victims` computed afresh, some instances at a time (`PastDeadline`
    between two of them when `deadline`, time.monotonic, has passed)."""
    c = ls.c
    online = ls.on
    best: Choice | None = None
    per = max(1, CHUNK_CANDIDATES // (1 + PER_TARGET * max(1, len(online))))
    for lo in range(0, len(victims), per):
        if lo and deadline is not None and time.monotonic() > deadline:
            raise PastDeadline
        batches = [Batch(2), Batch(3)]
        for i in victims[lo : lo + per]:
            add_instance(c, i, online, opts, ls.stats.loc_excl, batches[0], batches[1])
        for batch in batches:
            if not batch.order:
                continue
            found = batch.done()
            scores = group_scores(ls, found.changes, found.map_delta)
            ok = np.isfinite(scores)
            if not ok.any():
                continue
            low = float(scores[ok].min())
            pos = np.flatnonzero(ok & (scores == low))
            k = int(pos[np.argmin(found.order[pos])])
            if best is None or (low, int(found.order[k])) < (best.score, best.order):
                best = Choice(int(found.inst[k]), KINDS[int(found.kind[k])], int(found.target[k]), low,
                              int(found.order[k]))  # fmt: skip
    return best


def _parts(c: Cluster, group_nodes: IntArray, opts: BalanceOptions, insts: IntArray,
           deadline: float | None) -> Iterator[Kept]:  # fmt: skip
    """Tables of `insts` some at a time, for a group too large to keep one (`PastDeadline`
    between two of them as in `_fresh`)."""
    per = part_size(group_nodes)
    for lo in range(0, len(insts), per):
        if lo and deadline is not None and time.monotonic() > deadline:
            raise PastDeadline
        yield Kept(c, group_nodes, opts, insts[lo : lo + per])


def best_move(c: Cluster, group_nodes: IntArray, victims: list[int], opts: BalanceOptions,
              kept: Kept | None = None, deadline: float | None = None) -> Choice | None:  # fmt: skip
    """The lowest-scoring valid move of one of `victims`, or None if none lowers the score
    (`kept`: candidates kept from the step before, updated by `Kept.moved`; `deadline`: see
    `_fresh`)."""
    ls = ListScore(c, group_nodes)
    fresh = victims
    found: list[Choice] = []
    if kept is not None and kept.usable and victims:
        every = np.array(victims, dtype=np.int64)
        held = kept.keeps(every)
        fresh = every[~held].tolist()
        tables = [kept] if kept.fits else _parts(c, group_nodes, opts, every[held], deadline)
        for table in tables:
            part = every[held] if table is kept else table.insts
            table.refresh(ls, part)
            if (f := table.best(ls, part)) is not None:
                found.append(Choice(f.instance, f.kind, f.target, f.score, f.order))
    if (choice := _fresh(ls, fresh, opts, deadline)) is not None:
        found.append(choice)
    if not found:
        return None
    best = min(found, key=lambda ch: (ch.score, ch.order))
    return best if best.score < ls.base() else None
