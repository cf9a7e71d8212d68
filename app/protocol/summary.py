"""The last known state of a cluster, summed up from a request document the engine accepted.

Memory and disk are MiB as Ganeti reports them; offline nodes report no free resources and are
left out of the sums (they are still counted).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.protocol.document import ClusterDocument


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


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def summarize(doc: Any) -> StateSummary:
    """Sum nodes, memory and disk per node group of an iallocator request document."""
    doc = _dict(doc)
    nodes = _dict(doc.get("nodes"))
    groups = _dict(doc.get("nodegroups"))
    sums: dict[str, dict[str, int]] = {}
    keys = ("nodes", "offline", "drained", "total_memory", "free_memory", "total_disk", "free_disk")
    for node in nodes.values():
        node = _dict(node)
        uuid = str(node.get("group", ""))
        acc = sums.setdefault(uuid, dict.fromkeys(keys, 0))
        acc["nodes"] += 1
        acc["drained"] += bool(node.get("drained"))
        if node.get("offline"):
            acc["offline"] += 1
            continue
        for key in keys[3:]:
            acc[key] += _int(node.get(key))
    names = set(sums) | set(groups)
    summaries = []
    for uuid in sorted(names):
        group = _dict(groups.get(uuid))
        policy = group.get("alloc_policy")
        summaries.append(
            GroupSummary(
                uuid=uuid,
                name=str(group.get("name", uuid)),
                alloc_policy=policy if isinstance(policy, str) else None,
                **sums.get(uuid, dict.fromkeys(keys, 0)),
            )
        )
    return StateSummary(nodes=len(nodes), instances=len(_dict(doc.get("instances"))), groups=summaries)


def summarize_document(doc: ClusterDocument) -> StateSummary:
    """`summarize` of a parsed document (without parsing it again)."""
    groups = {uuid: {"name": g.name, "alloc_policy": g.alloc_policy} for uuid, g in doc.nodegroups.items()}
    return summarize({"nodes": doc.nodes, "nodegroups": groups, "instances": doc.instances})
