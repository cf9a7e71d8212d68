"""The cluster as the engine sees it: one NumPy array per node quantity, one per instance field.

Names follow hail's `HTools/Node.hs` (see ALGORITHM.md section 1.3). Nodes, instances and
groups are numbered in input order; ties in the engine are broken by these numbers.
The model is mutable: simulations work on a `copy()`.
"""

from __future__ import annotations

import copy as _copy
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from app.protocol.request import IPolicy

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
T = TypeVar("T")

NO_NODE = -1
LOCAL_TEMPLATES = frozenset({"plain", "drbd"})
# Templates whose instances move by failover to any node of the group (ALGORITHM.md section 2).
SHARED_TEMPLATES = frozenset({"diskless", "sharedfile", "rbd", "ext", "gluster", "blockdev"})
POLICY_RANK = {"preferred": 0, "last_resort": 1, "unallocable": 2}

RUNNING, DOWN, OFFLINE = 0, 1, 2
RUN_STATE = {"up": RUNNING, "down": DOWN, "offline": OFFLINE}


@dataclass(frozen=True)
class Group:
    uuid: str
    name: str
    policy: str
    networks: tuple[str, ...]  # in document order: hail shows them so in evacuation messages
    ipolicy: IPolicy

    @property
    def rank(self) -> int:
        return POLICY_RANK[self.policy]


class InstanceSpec(NamedTuple):
    """What the checks need of one instance, new or existing (a tuple: cheap to build)."""

    name: str
    memory: int
    vcpus: int
    dsk: int
    template: str
    spindle_use: int
    disk_sizes: tuple[int, ...]
    disk_spindles: int | None  # sum of per-disk spindles; None if any disk lacks it
    run_state: int
    excl_tags: tuple[str, ...]
    desired_loc: frozenset[str]
    networks: frozenset[str]
    tags: tuple[str, ...] = ()

    @property
    def local(self) -> bool:
        return self.template in LOCAL_TEMPLATES

    @property
    def uses_mem(self) -> bool:
        return self.run_state == RUNNING

    @property
    def online(self) -> bool:
        return self.run_state != OFFLINE

    @property
    def sec_mem(self) -> int:
        """Memory reserved on a DRBD secondary (`Instance.usesSecMem`)."""
        return self.memory if self.online else 0


@dataclass
class Nodes:
    """Per-node arrays (index = node number)."""

    names: list[str]
    group: IntArray  # the node's group (index into Cluster.groups)
    offline: BoolArray  # htools-offline: offline, not vm_capable, or drained
    t_mem: FloatArray  # total memory, MiB
    t_mem_int: IntArray  # trunc(total_memory)
    n_mem: IntArray  # memory the node itself uses (dom0 / reserved), MiB
    f_mem: IntArray  # free memory as reported, MiB
    x_mem: IntArray  # unaccounted memory: total - node - instances - free, MiB
    i_mem: IntArray  # memory of the running primary instances, MiB
    f_mem_forth: IntArray  # free memory counting forthcoming (not running) instances too, MiB
    t_dsk: FloatArray  # total disk, MiB
    f_dsk: IntArray  # free disk, MiB
    t_cpu: FloatArray  # physical CPUs
    u_cpu: IntArray  # virtual CPUs in use (reserved plus those of non-offline primaries)
    excl: BoolArray  # exclusive storage
    t_sp: IntArray  # total spindles
    f_sp: IntArray  # free spindles (exclusive storage only; -1: unknown)
    i_sp: FloatArray  # spindles used by instances (spindle_use; 0 with exclusive storage)
    hi_sp: FloatArray  # spindle limit: the group's spindle ratio times t_sp
    vcpu_ratio: FloatArray  # the group's maximum virtual/physical CPU ratio
    r_mem: IntArray  # memory reserved for the largest peer's failover (max over peers), MiB
    fail_n1: BoolArray  # the node cannot take its largest peer's instances (N+1 failure)
    p_cnt: IntArray  # primary instances
    s_cnt: IntArray  # secondary instances
    loc_score: IntArray  # sum of its primaries' location scores (shared domains, desired locations)
    peers: list[dict[int, int]]  # per primary node: memory of its DRBD instances secondary here, MiB
    p_tags: list[Counter[str]]  # exclusion tags of the primaries, counted
    conflicts: IntArray  # sum(count - 1) over p_tags: primaries sharing an exclusion tag
    loc_tags: list[frozenset[str]]  # location (failure domain) tags
    loc_excl: list[Counter[tuple[str, str]]]  # (location tag, exclusion tag) of the primaries
    mig_tags: list[frozenset[str]]  # migration tags
    rmig_tags: list[frozenset[str]]  # migration tags this node accepts (with allowmigration)

    def __len__(self) -> int:
        return len(self.names)

    def unalloc_mem(self) -> IntArray:
        """`unallocatedMem`: memory still free for new primaries."""
        out: IntArray = self.t_mem_int - self.n_mem - self.i_mem - np.maximum(self.x_mem, 0)
        return out


class SpecList:
    """Every instance's InstanceSpec, made when first read: a request moves a few instances
    of thousands, and making them all costs more than the rest of a 1000-node allocation.
    Two of its fields are kept for every instance as arrays from the start, for the N+1 check
    that reads them across a whole group: `drbd` (the template is drbd) and `running_mem` (its
    memory if it runs, else 0: what it takes on the node it fails over to)."""

    def __init__(
        self, make: Callable[[int], InstanceSpec], count: int, drbd: BoolArray, running_mem: IntArray
    ) -> None:
        self._make = make
        self._specs: list[InstanceSpec | None] = [None] * count
        self.drbd = drbd
        self.running_mem = running_mem

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, i: int) -> InstanceSpec:
        spec = self._specs[i]
        if spec is None:
            spec = self._specs[i] = self._make(i)
        return spec

    def __setitem__(self, i: int, spec: InstanceSpec) -> None:
        self._specs[i] = spec
        self.drbd[i], self.running_mem[i] = _columns(spec)

    def __iter__(self) -> Iterator[InstanceSpec]:
        return (self[i] for i in range(len(self._specs)))

    def append(self, spec: InstanceSpec) -> None:
        self._specs.append(spec)
        drbd, mem = _columns(spec)
        self.drbd = np.append(self.drbd, drbd)
        self.running_mem = np.append(self.running_mem, mem)

    def copy(self) -> SpecList:
        out = SpecList(self._make, 0, self.drbd.copy(), self.running_mem.copy())
        out._specs = list(self._specs)
        return out


def _columns(spec: InstanceSpec) -> tuple[bool, int]:
    return spec.template == "drbd", spec.memory if spec.uses_mem else 0


@dataclass
class Instances:
    """Per-instance arrays (index = instance number) plus the specs used by moves."""

    names: list[str]
    pnode: IntArray
    snode: IntArray
    specs: SpecList
    loc_score: IntArray  # |loc(primary) & loc(secondary)| for DRBD

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def empty(cls) -> Instances:
        none = np.zeros(0, np.int64)
        specs = SpecList(_no_spec, 0, np.zeros(0, dtype=bool), none.copy())
        return cls([], none, none.copy(), specs, none.copy())


def _no_spec(i: int) -> InstanceSpec:
    raise IndexError(i)


def _copy_counter(counts: Counter[T]) -> Counter[T]:
    """`Counter(counts)` at a fifth of its cost (a copy per node makes a large part of copy()):
    Counter's own constructor checks and counts its argument, a Counter needs neither."""
    out: Counter[T] = Counter.__new__(Counter)
    dict.update(out, counts)
    return out


@dataclass
class Cluster:
    groups: list[Group]
    nodes: Nodes
    instances: Instances
    node_index: dict[str, int]
    instance_index: dict[str, int]
    loc_bits: BoolArray  # the nodes' location tags as a (node, distinct tag) bitmap; never changes
    # cluster-wide tag configuration (ALGORITHM.md 7.2)
    excl_prefixes: tuple[str, ...] = ()
    desired_prefixes: tuple[str, ...] = ()

    def copy(self) -> Cluster:
        """An independent copy for simulation (arrays and per-node maps copied)."""
        nodes = _copy.copy(self.nodes)
        for name, value in vars(self.nodes).items():
            if isinstance(value, np.ndarray):
                setattr(nodes, name, value.copy())
        nodes.peers = [dict(p) for p in self.nodes.peers]
        nodes.p_tags = [_copy_counter(t) for t in self.nodes.p_tags]
        nodes.loc_excl = [_copy_counter(t) for t in self.nodes.loc_excl]
        insts = _copy.copy(self.instances)
        insts.pnode = self.instances.pnode.copy()
        insts.snode = self.instances.snode.copy()
        insts.loc_score = self.instances.loc_score.copy()
        insts.specs = self.instances.specs.copy()
        insts.names = list(self.instances.names)
        return Cluster(
            self.groups,
            nodes,
            insts,
            self.node_index,
            dict(self.instance_index),
            self.loc_bits,
            self.excl_prefixes,
            self.desired_prefixes,
        )

    def pair_locations(self, p: IntArray, s: IntArray) -> IntArray:
        """|loc(p) & loc(s)| of each pair: a DRBD instance's location score (ALGORITHM.md 7)."""
        out: IntArray = (self.loc_bits[p] & self.loc_bits[s]).sum(axis=1)
        return out

    def pair_location(self, p: int, s: int) -> int:
        """`pair_locations` of one pair; 0 without a secondary."""
        return int((self.loc_bits[p] & self.loc_bits[s]).sum()) if s != NO_NODE else 0

    def group_nodes(self, group: int) -> IntArray:
        out: IntArray = np.flatnonzero(self.nodes.group == group)
        return out

    def group_index(self, name_or_uuid: str) -> list[int]:
        """Groups matching a name or UUID (hail's `findByName`)."""
        return [i for i, g in enumerate(self.groups) if name_or_uuid in (g.name, g.uuid)]
