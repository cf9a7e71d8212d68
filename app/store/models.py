"""Tables: the cluster registry (clusters, tokens, last known state) and the decision history.

Decisions keep their cluster's name, not a foreign key: the history outlives a removed cluster.
Times are timezone-aware UTC on every backend (SQLite stores them naive, in UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    column_property,
    mapped_column,
    relationship,
)

NAME_LENGTH = 255


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class ClusterRecord(Base):
    """A registered cluster (the engine's NumPy model of one is `app.cluster.Cluster`)."""

    __tablename__ = "clusters"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tokens: Mapped[list[Token]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan", order_by="Token.created"
    )
    state: Mapped[ClusterState | None] = relationship(cascade="all, delete-orphan")


class Token(Base):
    __tablename__ = "tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(16))
    cluster_name: Mapped[str] = mapped_column(ForeignKey("clusters.name", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    cluster: Mapped[ClusterRecord] = relationship(back_populates="tokens")


class ClusterState(Base):
    """The cluster as of its last answered request."""

    __tablename__ = "cluster_states"

    cluster_name: Mapped[str] = mapped_column(
        ForeignKey("clusters.name", ondelete="CASCADE"), primary_key=True
    )
    updated: Mapped[datetime]
    decision_id: Mapped[str] = mapped_column(String(32))
    summary: Mapped[dict[str, Any]]
    score_before: Mapped[float | None] = mapped_column(Float)
    score_after: Mapped[float | None] = mapped_column(Float)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib or gzip; None when over the cap
    # What the decision placed where ([instance, [nodes]]): the state is the document with these
    # applied. None: recorded before they were kept (the document as sent).
    placements: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))


class Decision(Base):
    """One answered iallocator request."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_cluster_created", "cluster", "created"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[datetime] = mapped_column(index=True)
    cluster: Mapped[str] = mapped_column(String(NAME_LENGTH))
    request_id: Mapped[str] = mapped_column(String(128))
    request_type: Mapped[str] = mapped_column(String(32))
    success: Mapped[bool] = mapped_column(Boolean)
    info: Mapped[str] = mapped_column(Text)
    nodes: Mapped[list[str]]
    params: Mapped[list[str]]
    defaults: Mapped[list[str]]
    warnings: Mapped[list[str]]
    score_before: Mapped[float | None] = mapped_column(Float)
    score_after: Mapped[float | None] = mapped_column(Float)
    engine_version: Mapped[str] = mapped_column(String(32))
    latency_ms: Mapped[float] = mapped_column(Float)
    engine_seconds: Mapped[float] = mapped_column(Float)
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
    document_size: Mapped[int] = mapped_column(Integer)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # zlib or gzip
    summary: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), deferred=True
    )  # the state after it
    # In the class body `document` is still the MappedColumn.
    document_kept: Mapped[bool] = column_property(cast("MappedColumn[Any]", document).column.is_not(None))
    instances: Mapped[list[DecisionInstance]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionInstance.position", lazy="selectin"
    )

    @property
    def instance_names(self) -> list[str]:
        return [i.name for i in self.instances]


class DecisionInstance(Base):
    """The instances a decision is about, one row each, so history can be filtered by instance."""

    __tablename__ = "decision_instances"

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
