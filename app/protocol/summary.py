"""The last known state of a cluster, summed up from a request document the engine accepted.

Memory and disk are MiB as Ganeti reports them; offline nodes report no free resources and are
left out of the sums (they are still counted).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.protocol.document import NODE_DEFAULTS, ClusterDocument


class GroupSummary(BaseModel):
    """One node group's totals."""

    uuid: str
    name: str
    alloc_policy: str | None = None
    nodes: int = Field(description="Nodes in the group")
    offline: int = Field(description="Offline nodes (excluded from the sums)")
    drained: int
    total_memory: int = Field(description="MiB")
    free_memory: int = Field(description="MiB")
    total_disk: int = Field(description="MiB")
    free_disk: int = Field(description="MiB")


class StateSummary(BaseModel):
    """What the cluster looked like in its last answered request."""

    nodes: int
    instances: int
    groups: list[GroupSummary]


_SUMMED = ("total_memory", "free_memory", "total_disk", "free_disk")
_COUNTED = ("nodes", "offline", "drained", *_SUMMED)


def summarize_document(doc: ClusterDocument) -> StateSummary:
    """Sum nodes, memory and disk per node group of a validated request document (the node
    objects as Ganeti sent them, every value checked: totals may be written as floats)."""
    sums: dict[str, dict[str, int]] = {}
    for node in doc.nodes.values():
        acc = sums.setdefault(node["group"], dict.fromkeys(_COUNTED, 0))
        acc["nodes"] += 1
        acc["drained"] += bool(node["drained"])
        if node["offline"]:
            acc["offline"] += 1
            continue
        for key in _SUMMED:
            acc[key] += int(node.get(key, NODE_DEFAULTS[key]))
    groups = []
    for uuid in sorted(set(sums) | set(doc.nodegroups)):
        group = doc.nodegroups.get(uuid)
        counts = sums.get(uuid) or dict.fromkeys(_COUNTED, 0)
        name, policy = (group.name, group.alloc_policy) if group is not None else (uuid, None)
        groups.append(GroupSummary(uuid=uuid, name=name, alloc_policy=policy, **counts))
    return StateSummary(nodes=len(doc.nodes), instances=len(doc.instances), groups=groups)
