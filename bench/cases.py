"""What the side-by-side benchmark runs: cluster shapes, request kinds and the full and quick
matrices. Documents come from tests.support.gen, seeded, so every run sees the same inputs."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from tests.support.gen import (
    DRBD_ONLY,
    ClusterSpec,
    Doc,
    allocate_request,
    change_group_request,
    generate,
    mixed,
    multi_allocate_request,
    node_evacuate_request,
    relocate_request,
)

INSTANCES_PER_NODE = 18
NO_CAPACITY_CHECKS = "--no-capacity-checks"

Builder = Callable[[Doc, random.Random], Doc]

REQUESTS: dict[str, Builder] = {
    "allocate drbd": lambda doc, rng: allocate_request(doc, rng, "drbd"),
    "allocate plain": lambda doc, rng: allocate_request(doc, rng, "plain"),
    "relocate": relocate_request,
    "multi-allocate 3": lambda doc, rng: multi_allocate_request(doc, rng, 3),
    "node-evacuate all": lambda doc, rng: node_evacuate_request(doc, rng, "all"),
    "change-group 5": lambda doc, rng: change_group_request(doc, rng, 5),
}


@dataclass(frozen=True)
class Shape:
    """A generated cluster: node count, groups and template mix (`drbd` or `mixed`, 30% plain)."""

    nodes: int
    groups: int
    kind: str

    @property
    def name(self) -> str:
        """The cluster_name of its documents (and the cluster the service knows it as)."""
        return f"bench-{self.nodes}n-{self.groups}g-{self.kind}.example.com"

    def spec(self) -> ClusterSpec:
        templates = DRBD_ONLY if self.kind == "drbd" else mixed(plain=0.3)
        return ClusterSpec(
            nodes=self.nodes,
            groups=self.groups,
            instances_per_node=INSTANCES_PER_NODE,
            templates=templates,
            cluster_name=self.name,
        )

    def cluster(self, seed: int = 1) -> Doc:
        return generate(self.spec(), seed)


@dataclass(frozen=True)
class Case:
    """One request on one shape, with capacity checks on (hail's default) or off."""

    shape: Shape
    request: str
    capacity_checks: bool

    @property
    def params(self) -> list[str]:
        return [] if self.capacity_checks else [NO_CAPACITY_CHECKS]

    def document(self, cluster: Doc) -> Doc:
        """The request document, seeded by shape and request (the same for both check modes)."""
        rng = random.Random(f"{self.shape.name}/{self.request}")
        return REQUESTS[self.request](cluster, rng)


GROUPS = {20: 1, 100: 1, 500: 4, 1000: 2, 2000: 4}  # 20: most Ganeti clusters


def cluster_shape(nodes: int, kind: str) -> Shape:
    return Shape(nodes, GROUPS.get(nodes, 1), kind)


def full_matrix() -> list[Case]:
    """Every size, both mixes, every request, capacity checks on and off."""
    return [
        Case(cluster_shape(nodes, kind), request, checks)
        for nodes in GROUPS
        for kind in ("drbd", "mixed")
        for request in REQUESTS
        for checks in (False, True)
    ]


def quick_matrix() -> list[Case]:
    """A few minutes on 2 cores: the cases the performance targets name."""
    return [
        Case(cluster_shape(20, "drbd"), "allocate drbd", False),
        Case(cluster_shape(100, "mixed"), "allocate drbd", False),
        Case(cluster_shape(100, "mixed"), "allocate drbd", True),
        Case(cluster_shape(100, "mixed"), "allocate plain", False),
        Case(cluster_shape(100, "mixed"), "relocate", False),
        Case(cluster_shape(500, "drbd"), "allocate drbd", False),
        Case(cluster_shape(500, "drbd"), "node-evacuate all", False),
        Case(cluster_shape(500, "drbd"), "change-group 5", False),
        Case(cluster_shape(1000, "drbd"), "allocate drbd", False),
        Case(cluster_shape(1000, "drbd"), "multi-allocate 3", False),
        Case(cluster_shape(1000, "drbd"), "node-evacuate all", False),
        Case(cluster_shape(1000, "mixed"), "allocate drbd", True),
        Case(cluster_shape(2000, "drbd"), "allocate drbd", False),
    ]


def by_shape(cases: list[Case]) -> Iterator[tuple[Shape, list[Case]]]:
    """The cases grouped by shape, smallest clusters first (each cluster is generated once)."""
    ordered = sorted(cases, key=lambda c: (c.shape.nodes, c.shape.kind))
    for key, group in groupby(ordered, key=lambda c: c.shape):
        yield key, list(group)
