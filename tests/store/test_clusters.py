"""The cluster registry, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from app.core.security import token_digest
from app.store.clusters import (
    ClusterExists,
    ClusterPolicy,
    add_cluster,
    add_token,
    cluster_for_token,
    cluster_policy,
    ensure_cluster,
    get_cluster,
    list_clusters,
    remove_cluster,
    revoke_token,
    set_policy,
    token_cluster,
)
from app.store.models import ClusterState, Token, utcnow


def test_add_cluster_token_resolves_and_only_digest_stored(session):
    cluster, token = add_cluster("c1", ClusterPolicy(params=["--x"]), session=session)
    assert cluster_for_token(token, session=session) == "c1"
    stored = session.scalars(select(Token)).one()
    assert stored.digest == token_digest(token) and token not in (stored.digest, stored.id)
    assert token.startswith("iad_" + stored.id)
    found = get_cluster("c1", session=session)
    assert found is cluster and cluster_policy(found).params == ["--x"]
    record = token_cluster(token, session=session)
    assert record is not None and record.name == "c1" and cluster_policy(record).params == ["--x"]
    assert token_cluster(token + "x", session=session) is None


def test_add_cluster_twice_raises_cluster_exists(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    with pytest.raises(ClusterExists):
        add_cluster("c1", ClusterPolicy(), session=session)
    assert [c.name for c in list_clusters(session=session)] == ["c1"]


def test_cluster_for_token_unknown_none(session):
    add_cluster("c1", ClusterPolicy(), session=session)
    assert cluster_for_token("iad_other", session=session) is None


def test_remove_cluster_drops_tokens_and_state(session):
    _, token = add_cluster("c1", ClusterPolicy(), session=session)
    session.add(ClusterState(cluster_name="c1", updated=utcnow(), decision_id="d", summary={}))
    session.commit()
    assert remove_cluster("c1", session=session)
    assert cluster_for_token(token, session=session) is None
    assert session.scalar(select(func.count()).select_from(ClusterState)) == 0
    assert not remove_cluster("c1", session=session)


def test_add_token_revoke_others_rotates(session):
    _, old = add_cluster("c1", ClusterPolicy(), session=session)
    kept = add_token("c1", revoke_others=False, session=session)
    assert kept is not None and cluster_for_token(old, session=session) == "c1"
    rotated = add_token("c1", revoke_others=True, session=session)
    assert rotated is not None
    assert cluster_for_token(old, session=session) is None
    assert cluster_for_token(kept[1], session=session) is None
    assert cluster_for_token(rotated[1], session=session) == "c1"
    assert add_token("nope", revoke_others=False, session=session) is None


def test_revoke_token_by_display_id(session):
    cluster, token = add_cluster("c1", ClusterPolicy(), session=session)
    assert not revoke_token("c1", "zzzzzzzz", session=session)
    assert revoke_token("c1", cluster.tokens[0].id, session=session)
    assert cluster_for_token(token, session=session) is None


def test_set_policy_replaces_params(session):
    add_cluster("c1", ClusterPolicy(params=["--a"]), session=session)
    cluster = set_policy("c1", ClusterPolicy(params=["--b=2"]), session=session)
    assert cluster is not None and cluster_policy(cluster).params == ["--b=2"]
    assert set_policy("nope", ClusterPolicy(), session=session) is None


def test_ensure_cluster_registers_once_without_tokens(session):
    ensure_cluster("c9", session=session)
    ensure_cluster("c9", session=session)
    cluster = get_cluster("c9", session=session)
    assert cluster is not None and cluster.tokens == [] and cluster_policy(cluster).params == []


@pytest.mark.parametrize("param", ["x", "-x", "--", "--=1", "--a b"])
def test_cluster_policy_not_a_flag_rejected(param):
    with pytest.raises(ValidationError):
        ClusterPolicy(params=[param])
