"""The shape of a cluster's state summary: what the service keeps of a cluster after each
decision (its last document with that decision applied) and what the fleet page shows.

Memory and disk are MiB as Ganeti reports them. Offline and non-vm_capable nodes are counted
but report no resources; figures added later default to 0 so older summaries still read.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class GroupSummary(BaseModel):
    """One node group's totals."""

    uuid: str
    name: str
    alloc_policy: str | None = None
    nodes: int = Field(description="Nodes in the group")
    offline: int = Field(description="Offline nodes (excluded from the sums)")
    drained: int
    total_memory: int = Field(description="MiB")
    free_memory: int = Field(description="MiB, as the nodes will report it once the decision is done")
    reserved_memory: int = Field(
        0, description="MiB of the free memory kept for N+1: per node, what its largest peer would fail over"
    )
    total_disk: int = Field(description="MiB")
    free_disk: int = Field(description="MiB")
    total_cpus: int = Field(0, description="Physical CPUs")
    used_vcpus: int = Field(0, description="vCPUs of the instances, plus the nodes' reserved CPUs")
    max_vcpus: int | None = Field(
        None, description="vCPUs the group's ipolicy vcpu_ratio allows in all (None: no limit)"
    )
    total_spindles: int = Field(0, description="Spindles of the nodes with exclusive storage")
    free_spindles: int = Field(0, description="Their free spindles")
    failing_n1: int = Field(0, description="Online nodes whose free memory could not take over a failed peer")


class StateSummary(BaseModel):
    """What the cluster looks like after its last answered request."""

    nodes: int
    instances: int
    groups: list[GroupSummary]
