"""The cluster registry: clusters, their policy and their tokens. Write functions commit."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.security import new_token, token_digest, token_id
from app.store.db import insert_for
from app.store.models import ClusterRecord, Token, utcnow

# Ganeti cluster names are host names.
CLUSTER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"
PARAM_PATTERN = r"^--[A-Za-z0-9][A-Za-z0-9-]*(=.*)?$"


class ClusterPolicy(BaseModel):
    """How a cluster's requests are answered."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"params": ["--no-capacity-checks"]}]}
    )

    params: list[Annotated[str, StringConstraints(pattern=PARAM_PATTERN)]] = Field(
        default_factory=list,
        description="Default iallocator parameters (--key[=value]); the request's own parameters win",
        examples=[["--no-capacity-checks"]],
    )


class ClusterExists(Exception):
    """A cluster by that name is registered already."""


def get_cluster(name: str, *, session: Session) -> ClusterRecord | None:
    return session.get(ClusterRecord, name)


def list_clusters(*, session: Session, limit: int | None = None, offset: int = 0) -> list[ClusterRecord]:
    """The registered clusters by name; `limit` of them from `offset` on."""
    return list(
        session.scalars(select(ClusterRecord).order_by(ClusterRecord.name).offset(offset).limit(limit))
    )


def count_clusters(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ClusterRecord)) or 0


def add_cluster(name: str, policy: ClusterPolicy, *, session: Session) -> tuple[ClusterRecord, str]:
    """Register a cluster with one token; returns the cluster and the token (never stored plain)."""
    if session.get(ClusterRecord, name) is not None:
        raise ClusterExists(name)
    cluster = ClusterRecord(name=name, policy=policy.model_dump())
    token = new_token()
    cluster.tokens.append(Token(digest=token_digest(token), id=token_id(token)))
    session.add(cluster)
    try:
        session.commit()
    except IntegrityError as exc:  # registered meanwhile by another session
        session.rollback()
        raise ClusterExists(name) from exc
    return cluster, token


def ensure_cluster(name: str, *, session: Session) -> None:
    """Register `name` without tokens unless it exists (for allow_unknown_clusters)."""
    values = {"name": name, "created": utcnow(), "policy": ClusterPolicy().model_dump()}
    session.execute(insert_for(session, ClusterRecord).values(values).on_conflict_do_nothing())
    session.commit()


def remove_cluster(name: str, *, session: Session) -> bool:
    """Remove a cluster, its tokens and its state; its decisions stay in the history."""
    cluster = session.get(ClusterRecord, name)
    if cluster is None:
        return False
    session.delete(cluster)
    session.commit()
    return True


def set_policy(name: str, policy: ClusterPolicy, *, session: Session) -> ClusterRecord | None:
    cluster = session.get(ClusterRecord, name)
    if cluster is None:
        return None
    cluster.policy = policy.model_dump()
    session.commit()
    return cluster


def cluster_policy(cluster: ClusterRecord) -> ClusterPolicy:
    return ClusterPolicy.model_validate(cluster.policy)


class UnknownCluster(Exception):
    """A request for a cluster that is not registered (and may not be registered by it)."""


def request_policy(name: str, *, register_unknown: bool, session: Session) -> ClusterPolicy:
    """The policy to answer a request for cluster `name` with. An unknown cluster raises
    UnknownCluster, unless `register_unknown` (allow_unknown_clusters, the admin token): then it is
    registered, without tokens, and answered with the default policy."""
    found = get_cluster(name, session=session)
    if found is not None:
        return cluster_policy(found)
    if not register_unknown:
        raise UnknownCluster(name)
    ensure_cluster(name, session=session)
    return ClusterPolicy()


def add_token(name: str, *, revoke_others: bool, session: Session) -> tuple[Token, str] | None:
    """A new token for the cluster (optionally revoking the others); None if no such cluster."""
    if session.get(ClusterRecord, name) is None:
        return None
    if revoke_others:
        session.execute(delete(Token).where(Token.cluster_name == name))
    plain = new_token()
    token = Token(digest=token_digest(plain), id=token_id(plain), cluster_name=name)
    session.add(token)
    session.commit()
    return token, plain


def revoke_token(name: str, display_id: str, *, session: Session) -> bool:
    result = session.execute(delete(Token).where(Token.cluster_name == name, Token.id == display_id))
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def cluster_for_token(token: str, *, session: Session) -> str | None:
    """The cluster a bearer token belongs to, or None."""
    return cluster_for_digest(token_digest(token), session=session)


def token_cluster(token: str, *, session: Session) -> ClusterRecord | None:
    """The registered cluster a bearer token belongs to, with its policy, or None."""
    digest = token_digest(token)
    return session.scalar(select(ClusterRecord).join(Token).where(Token.digest == digest))


def cluster_for_digest(digest: str, *, session: Session) -> str | None:
    """The cluster of the token with this sha256 digest (a console session's), or None if revoked."""
    return session.scalar(select(Token.cluster_name).where(Token.digest == digest))
