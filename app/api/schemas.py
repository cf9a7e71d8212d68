"""Request and response bodies of the operator and admin API (`...Request` in, `...Public` out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.api import examples
from app.engine import MoveKind
from app.protocol import IallocatorResponse
from app.protocol.request import DiskTemplate
from app.protocol.summary import GroupSummary, StateSummary
from app.store.clusters import CLUSTER_NAME_PATTERN, ClusterPolicy
from app.store.decisions import Activity
from app.store.models import ClusterRecord, ClusterState, Decision


class TokenPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TOKEN]})
    id: str = Field(description="The token's first characters after iad_, to tell tokens apart")
    created: datetime


class ClusterPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CLUSTER]})
    name: str
    created: datetime
    policy: ClusterPolicy
    tokens: list[TokenPublic]
    decisions: int = Field(description="Decisions in the history")
    last_decision: datetime | None

    @classmethod
    def of(cls, cluster: ClusterRecord, activity: Activity | None) -> ClusterPublic:
        return cls(
            name=cluster.name,
            created=cluster.created,
            policy=ClusterPolicy.model_validate(cluster.policy),
            tokens=[TokenPublic(id=t.id, created=t.created) for t in cluster.tokens],
            decisions=activity.decisions if activity else 0,
            last_decision=activity.last if activity else None,
        )


class ClusterStatePublic(BaseModel):
    """The cluster as of its last answered request."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CLUSTER_STATE]})

    updated: datetime
    decision_id: str
    score_before: float | None = Field(description="Cluster score before the decision (lower is better)")
    score_after: float | None
    summary: StateSummary


class ClusterDetailPublic(ClusterPublic):
    model_config = ConfigDict(
        json_schema_extra={"examples": [examples.CLUSTER | {"state": examples.CLUSTER_STATE}]}
    )
    state: ClusterStatePublic | None = Field(description="None until the cluster's first answered request")

    @classmethod
    def detail(
        cls, cluster: ClusterRecord, activity: Activity | None, state: ClusterState | None
    ) -> ClusterDetailPublic:
        known = None
        if state is not None:
            known = ClusterStatePublic(
                updated=state.updated,
                decision_id=state.decision_id,
                score_before=state.score_before,
                score_after=state.score_after,
                summary=StateSummary.model_validate(state.summary),
            )
        return cls(**ClusterPublic.of(cluster, activity).model_dump(), state=known)


class ClusterCreateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "cluster1.example.com", "policy": examples.CLUSTER["policy"]}]
        },
    )

    name: str = Field(pattern=CLUSTER_NAME_PATTERN, description="The cluster_name Ganeti sends")
    policy: ClusterPolicy = Field(default_factory=ClusterPolicy)


class TokenCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"revoke_others": True}]})

    revoke_others: bool = Field(False, description="Rotate: revoke the cluster's other tokens")


class NewTokenPublic(BaseModel):
    """A token as shown once: only its digest is stored."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.NEW_TOKEN]})

    cluster: str
    id: str
    token: str = Field(description="The bearer token; it is not shown again")


class DecisionPublic(BaseModel):
    """One answered iallocator request."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DECISION]})

    id: str
    time: datetime
    cluster: str
    request_id: str
    request_type: str
    instances: list[str]
    nodes: list[str] = Field(description="The nodes chosen, as the answer lists them")
    success: bool
    info: str
    params: list[str] = Field(description="Parameters sent with the request")
    defaults: list[str] = Field(description="The cluster policy's parameters at the time")
    warnings: list[str]
    score_before: float | None
    score_after: float | None
    engine_version: str
    latency_ms: float
    engine_seconds: float
    document_sha256: str
    document_size: int
    document_kept: bool = Field(description="Whether GET /decisions/{id}/document can return it")

    @classmethod
    def of(cls, d: Decision) -> DecisionPublic:
        own = set(cls.model_fields) - {"time", "instances"}
        return cls(**{name: getattr(d, name) for name in own}, time=d.created, instances=d.instance_names)


class DecisionsPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [examples.DECISION], "total": 1, "limit": 50, "offset": 0}]}
    )
    items: list[DecisionPublic]
    total: int = Field(description="Decisions matching the filter, over all pages")
    limit: int
    offset: int


class StatusPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: str


# Bounds of the capacity request: MiB and counts that keep the engine's int64 arithmetic exact.
MAX_MIB = 2**40
MAX_COUNT = 100_000


class CandidatePublic(BaseModel):
    """A placement the engine considered for one instance."""

    instance: str
    nodes: list[str] = Field(description="Primary first")
    group: str
    score: float | None = Field(
        description="Cluster score after the placement, lower is better (null: dedicated allocation)"
    )
    global_n1: Literal["passed", "not checked", "off", "failed"] = Field(
        description="The global N+1 check: passed (the choice), not checked (ranked after the choice, "
        "the engine never checks those), off (--no-capacity-checks, dedicated) or failed"
    )


class NodeRejectionPublic(BaseModel):
    group: str
    code: str | None = Field(description="hail's failure code (FailMem, FailDisk, ...); null: no candidate")
    constraint: str = Field(description="The constraint in words")


class RejectionsPublic(BaseModel):
    """What ruled candidates out for one instance."""

    nodes: dict[str, NodeRejectionPublic] = Field(
        description="Per node, why it could not be the primary (for a move: the node moved to, the new "
        "secondary of a secondary replacement)"
    )
    secondary: dict[str, int] = Field(
        description="DRBD: pairs rejected on the secondary (for a move to a new pair: on the final "
        "secondary), per failure code"
    )
    global_n1: int = Field(description="Candidates dropped by the global N+1 check (moves have none)")
    global_n1_candidates: list[CandidatePublic] = Field(description="The best of those")


class MoveCandidatePublic(BaseModel):
    """A move the engine considered for one instance."""

    instance: str
    kind: Literal["failover", "failover_to_any", "replace_secondary", "change_all"] = Field(
        description="failover (DRBD, to its secondary), failover_to_any (shared storage, to another node), "
        "replace_secondary (DRBD, a new secondary) or change_all (DRBD, a new pair: replace secondary, "
        "failover, replace secondary; after a failover when the primary is offline)"
    )
    nodes: list[str] = Field(description="The instance's nodes after the move, primary first")
    group: str
    score: float | None = Field(
        description="Score of the target group after the move, lower is better (null: a failover, which "
        "has no choice to make)"
    )


class InstanceMovePublic(BaseModel):
    """One instance of a move request: what the engine found for it."""

    instance: str
    mode: Literal["primary-only", "secondary-only", "all"] | None = Field(
        description="The evacuation the engine ran: node-evacuate's evac_mode; relocate: secondary-only "
        "(DRBD) or primary-only (shared storage); change-group: all; multi-evacuate: secondary-only; "
        "null: refused before any move"
    )
    moved: bool = Field(
        description="A move was found (multi-evacuate fails as a whole when one instance has none)"
    )
    attempts: int = Field(
        description="How often the engine tried the instance for the answer (iallocd tries a failure again "
        "once the others have moved)"
    )
    error: str | None = Field(description="Why it could not move, in the answer's words")
    why: str | None = Field(description="The constraints that stopped it, in words")
    candidates: list[MoveCandidatePublic] = Field(
        description="The best few moves, best first: the first is the answer's move (empty when none works)"
    )
    group_choice: list[CandidatePublic] = Field(
        description="change-group: the best placements of the group choice in the engine's order, the "
        "first in the group moved to (empty for the other types)"
    )


class ExplainPublic(BaseModel):
    """A request run without deciding: the answer /allocate would give, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.EXPLAIN, examples.EXPLAIN_EVACUATE]})

    request_type: str
    answer: IallocatorResponse
    candidates: list[CandidatePublic] = Field(
        description="Per instance to place (allocate, multi-allocate, allocate-secondary), in request order: "
        "the best few in the engine's order; the first one of an instance is the answer's choice (empty "
        "for the move requests: see `moves`)"
    )
    rejected: dict[str, RejectionsPublic] = Field(description="Per instance to place or move")
    moves: list[InstanceMovePublic] = Field(
        description="Per instance of a move request (relocate, node-evacuate, change-group, multi-evacuate), "
        "in the answer's order (empty for placements)"
    )
    warnings: list[str] = Field(description="Parameters the engine ignored")


class DiskShape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=0, le=MAX_MIB, description="MiB")
    spindles: int | None = Field(None, ge=0, le=MAX_COUNT)


class InstanceShape(BaseModel):
    """An instance to fit, as Ganeti would ask for it."""

    model_config = ConfigDict(extra="forbid")

    memory: int = Field(ge=0, le=MAX_MIB, description="MiB")
    vcpus: int = Field(ge=0, le=MAX_COUNT)
    disk_template: DiskTemplate
    disks: list[DiskShape] = Field(default_factory=list, max_length=64)
    spindle_use: int = Field(1, ge=0, le=MAX_COUNT)
    disk_space_total: int | None = Field(
        None,
        ge=0,
        le=MAX_MIB,
        description="MiB charged on each node holding the disks; when absent, computed as Ganeti "
        "does (the disk sizes, plus 128 per disk for drbd, 0 for diskless and blockdev)",
    )


# A document the engine process parses: the API only sees a JSON object (app.api.openapi
# documents it as the InputDocument it is).
DocumentObject = Annotated[dict[str, Any], WithJsonSchema({"type": "object", "title": "InputDocument"})]


class CapacityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.CAPACITY_REQUEST]})

    instance: InstanceShape
    max: int | None = Field(None, ge=1, le=MAX_COUNT, description="Stop counting at this many (default 1000)")
    document: DocumentObject | None = Field(
        None,
        description="What-if: count in this iallocator input document (as POST /allocate takes; "
        "its request is ignored) instead of the cluster's kept state",
    )


class InstanceShapePublic(InstanceShape):
    model_config = ConfigDict(extra="ignore")

    disk_space_total: int = Field(description="MiB charged on each node holding the disks")
    required_nodes: int = Field(description="2 for drbd, else 1")


class StopPublic(BaseModel):
    code: str | None = Field(description="hail's most frequent failure code of the failed placement")
    reason: str = Field(description="That constraint in words (or why nothing was tried)")
    counts: dict[str, int] = Field(description="Every failure code's count, in hail's order")


class GroupCapacityPublic(BaseModel):
    group: str
    alloc_policy: str
    count: int = Field(description="Instances placed with their primary in the group")
    stop: StopPublic | None = Field(description="Why the group took no more (null when capped)")


class StateRefPublic(BaseModel):
    source: Literal["kept", "document"] = Field(
        description="kept: the cluster's last document with its last decision applied; document: "
        "the request's own document (what-if)"
    )
    decision_id: str | None = Field(
        description="The decision whose input document is the state used (null for a what-if)"
    )
    updated: datetime | None = Field(description="When that decision was made (null for a what-if)")


class RoomPublic(BaseModel):
    """How many more instances of one shape fit (hspace), and what runs out."""

    instance: InstanceShapePublic
    count: int = Field(description="Instances placed one after another until one failed")
    capped: bool = Field(description="The count stopped before a failure: at least this many fit")
    capped_by: Literal["max", "time"] | None = Field(description="The limit given, or the time allowed")
    stop: StopPublic | None = Field(description="Why no more fit (null when capped)")
    info: str = Field(description="The failed placement's answer (empty when capped)")
    groups: list[GroupCapacityPublic]
    score_before: float | None = Field(description="Cluster score now (lower is better)")
    score_after: float | None = Field(description="Cluster score with every instance counted placed")


class CapacityPublic(RoomPublic):
    """How many more instances of a shape fit in the cluster's last known state, or in the
    document given (hspace)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CAPACITY]})

    cluster: str
    state: StateRefPublic
    max: int = Field(description="The count's limit")
    warnings: list[str] = Field(description="Parameters the engine ignored")


class N1FailurePublic(BaseModel):
    node: str
    free_memory: int = Field(description="MiB still unallocated on the node")
    needed: int = Field(description="MiB the DRBD instances of `peer` secondary here would need on failover")
    peer: str | None = Field(
        description="The primary node whose failure it could not take (null: none, no memory)"
    )


class GroupStatePublic(GroupSummary):
    """One node group of the cluster's state, with what the engine says of it."""

    offline_nodes: list[str] = Field(description="Offline nodes, by name")
    drained_nodes: list[str] = Field(description="Drained nodes, by name")
    standard: RoomPublic | None = Field(
        description="How many more instances of the group's ipolicy standard spec fit in the group "
        "(null: the group's policy has no std spec)"
    )
    failing_n1_nodes: list[N1FailurePublic]


class GroupsPublic(BaseModel):
    """Each node group of a cluster's state (its last document, its last decision applied)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.GROUPS]})

    cluster: str
    state: StateRefPublic
    nodes: int
    instances: int
    groups: list[GroupStatePublic]
    probe: RoomPublic | None = Field(None, description="How many more of the shape asked for fit, if one was")
    warnings: list[str] = Field(description="Parameters the engine ignored")


class HourPublic(BaseModel):
    start: datetime = Field(description="The hour, UTC")
    decisions: int
    failed: int


class StatePointPublic(BaseModel):
    time: datetime
    decision_id: str
    free_memory: int = Field(description="MiB over the cluster, once the decision is done")
    total_memory: int
    free_disk: int = Field(description="MiB")
    total_disk: int
    failing_n1: int = Field(description="Online nodes failing N+1")


class HistoryPublic(BaseModel):
    """A cluster's recent history as series: decisions per hour, and its state after each."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.HISTORY]})

    cluster: str
    since: datetime
    hours: list[HourPublic] = Field(description="Hours with decisions, oldest first")
    states: list[StatePointPublic] = Field(description="After each decision, oldest first (at most 1000)")


class BalanceStepPublic(BaseModel):
    instance: str
    move: MoveKind
    short: str = Field(description="hbal's notation: f (failover), r:NODE (new secondary), fa:NODE, ...")
    from_: list[str] = Field(alias="from", description="The instance's nodes before, primary first")
    to: list[str] = Field(description="Its nodes after, primary first")
    score: float = Field(description="The group's score after this step")
    commands: list[str] = Field(description="The step as gnt-instance commands, like hbal -C")


class BalanceGroupPublic(BaseModel):
    group: str
    initial_score: float | None
    final_score: float | None
    optimal_score: float = Field(description="The least score the group's N+1 reservations allow")
    stop: str = Field(
        description="Why the plan ends: balanced, min-score, max-length, min-gain, no-improvement or "
        "deadline (the request timeout came near: the plan so far)"
    )
    steps: list[BalanceStepPublic]
    jobsets: list[list[list[dict[str, object]]]] = Field(
        description="Job sets, run one after the other; the jobs of a set (one per step, each a list of "
        "opcodes, as node-evacuate's jobs) touch disjoint nodes and may run in parallel"
    )


class BalancePublic(BaseModel):
    """hbal's plan for a cluster: per node group the moves, the scores and the jobs."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.BALANCE]}, populate_by_name=True)

    cluster: str
    state: StateRefPublic | None = Field(
        None, description="The kept state planned on (none: the document sent)"
    )
    groups: list[BalanceGroupPublic]
    moves: int
    seconds: float = Field(description="Seconds the engine spent")
    warnings: list[str] = Field(description="Parameters the engine ignored")
