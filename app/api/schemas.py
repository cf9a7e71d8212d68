"""Request and response bodies of the operator and admin API (`...Request` in, `...Public` out)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.api import examples
from app.core.summary import StateSummary
from app.store.clusters import CLUSTER_NAME_PATTERN, ClusterPolicy
from app.store.decisions import Activity
from app.store.models import Cluster, ClusterState, Decision


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
    def of(cls, cluster: Cluster, activity: Activity | None) -> ClusterPublic:
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
        cls, cluster: Cluster, activity: Activity | None, state: ClusterState | None
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
