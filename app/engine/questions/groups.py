"""What an operator asks of each node group: how many more instances of the group's standard
spec (its ipolicy's `std`) fit there, and which nodes fail N+1 and why. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.cluster.model import Cluster, Group
from app.engine.options import EngineOptions
from app.engine.questions.headroom import DEFAULT_LIMIT, Headroom, headroom, probe_request
from app.protocol.request import AllocateRequest, Disk, DiskTemplate

PREFERRED_TEMPLATES: tuple[DiskTemplate, ...] = ("drbd", "plain")


@dataclass(frozen=True)
class N1Failure:
    """A node that could not take over its peer's instances if that peer failed."""

    node: str
    free_memory: int  # MiB still unallocated on it
    needed: int  # MiB of the DRBD instances whose primary is `peer` and secondary this node
    peer: str | None  # None: no peer, the node has no free memory at all


@dataclass(frozen=True)
class GroupOutlook:
    group: str
    standard: AllocateRequest | None  # the group's standard instance (None: no std spec)
    room: Headroom | None  # how many more of it fit in the group
    failing_n1: list[N1Failure]


def standard_instance(group: Group) -> AllocateRequest | None:
    """The allocate request of one instance of the group's ipolicy standard spec, in drbd or
    plain if the policy allows them (Ganeti lists the allowed templates sorted by name, so the
    first would be blockdev), else in the first it allows."""
    std, templates = group.ipolicy.std, group.ipolicy.disk_templates
    if std is None or not templates:
        return None
    template = next((t for t in PREFERRED_TEMPLATES if t in templates), templates[0])
    disks = [Disk(size=std.disk_size)] * std.disk_count
    req = probe_request(std.memory_size, std.cpu_count, template, disks, std.spindle_use)
    return req.model_copy(update={"group_name": group.name})


def n1_failures(c: Cluster, group: int) -> list[N1Failure]:
    """The group's online nodes failing N+1, each with the peer that needs the most of it."""
    n = c.nodes
    unalloc = n.unalloc_mem()
    out = []
    for i in np.flatnonzero((n.group == group) & n.fail_n1 & ~n.offline).tolist():
        peer, needed = max(n.peers[i].items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0))
        name = n.names[peer] if peer is not None else None
        out.append(N1Failure(n.names[i], int(unalloc[i]), int(needed), name))
    return out


def group_outlook(
    c: Cluster, opts: EngineOptions, limit: int = DEFAULT_LIMIT, budget: float = float("inf")
) -> list[GroupOutlook]:
    """Per group (in `c`'s order) its standard-spec headroom, counted on a copy for at most an
    equal share of `budget` seconds, and its N+1 failures."""
    share = budget / max(len(c.groups), 1)
    out = []
    for g, group in enumerate(c.groups):
        req = standard_instance(group)
        room = headroom(c.copy(), req, opts, limit, share) if req is not None else None
        out.append(GroupOutlook(group.name, req, room, n1_failures(c, g)))
    return out
