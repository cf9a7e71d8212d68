"""The validated input as the rest of iallocd sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.protocol.fast import RawInstance
from app.protocol.request import Envelope, Node, NodeGroup, Request

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ClusterDocument:
    """A valid iallocator input, in input order. Nodes stay the JSON objects Ganeti sent
    (validated: reading a key Ganeti may leave out needs its default, `NODE_DEFAULTS`);
    instances are read with their defaults filled in (`fast.RawInstance`)."""

    request: Request
    cluster_name: str
    cluster_tags: list[str]
    enabled_hypervisors: list[str]
    nodegroups: dict[str, NodeGroup]
    nodes: dict[str, JsonObject]
    instances: dict[str, RawInstance]

    @classmethod
    def from_parts(
        cls, envelope: Envelope, nodes: dict[str, JsonObject], instances: dict[str, RawInstance]
    ) -> ClusterDocument:
        return cls(
            envelope.request,
            envelope.cluster_name,
            list(envelope.cluster_tags),
            list(envelope.enabled_hypervisors),
            envelope.nodegroups,
            nodes,
            instances,
        )


NODE_DEFAULTS = {name: f.default for name, f in Node.model_fields.items() if not f.is_required()}
