"""The validated input as the rest of iallocd sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.protocol.request import Envelope, Instance, Node, NodeGroup, Request

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ClusterDocument:
    """A valid iallocator input. Nodes and instances stay the JSON objects Ganeti sent
    (validated, in input order): reading them needs `node_value` / `instance_value`,
    which supply the protocol's defaults for keys Ganeti left out."""

    request: Request
    cluster_name: str
    cluster_tags: list[str]
    enabled_hypervisors: list[str]
    nodegroups: dict[str, NodeGroup]
    nodes: dict[str, JsonObject]
    instances: dict[str, JsonObject]

    @classmethod
    def from_parts(
        cls, envelope: Envelope, nodes: dict[str, JsonObject], instances: dict[str, JsonObject]
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


def _defaults(model: type[Node] | type[Instance]) -> dict[str, Any]:
    return {name: f.default for name, f in model.model_fields.items() if not f.is_required()}


NODE_DEFAULTS = _defaults(Node)
INSTANCE_DEFAULTS = _defaults(Instance)
