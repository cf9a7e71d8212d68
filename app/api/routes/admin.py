"""The admin API (IALLOCD_ADMIN_TOKEN): register and remove clusters, issue tokens, set policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from app.api.deps import AdminDep, SessionDep, get_admin
from app.api.errors import ApiError, responses
from app.api.json_body import json_body, json_body_openapi
from app.api.schemas import ClusterCreateRequest, ClusterPublic, NewTokenPublic, TokenCreateRequest
from app.store.clusters import (
    ClusterExists,
    ClusterPolicy,
    add_cluster,
    add_token,
    remove_cluster,
    revoke_token,
    set_policy,
)
from app.store.decisions import activity

router = APIRouter(prefix="/admin/clusters", tags=["admin"])


def _no_cluster(name: str) -> ApiError:
    return ApiError(404, "not_found", f"no cluster {name!r}")


# The bodies are read once the admin token is checked (app.api.json_body).
NewCluster = Annotated[ClusterCreateRequest, json_body(ClusterCreateRequest, after=get_admin)]
NewToken = Annotated[TokenCreateRequest | None, json_body(TokenCreateRequest, after=get_admin, optional=True)]
NewPolicy = Annotated[ClusterPolicy, json_body(ClusterPolicy, after=get_admin)]


@router.post(
    "",
    status_code=201,
    responses=responses(400, 401, 403, 409, 413, 422, 503),
    openapi_extra=json_body_openapi(ClusterCreateRequest),
)
def create_cluster(_: AdminDep, body: NewCluster, session: SessionDep) -> NewTokenPublic:
    """Register a cluster; the answer holds its first token, shown only this once."""
    try:
        cluster, token = add_cluster(body.name, body.policy, session=session)
    except ClusterExists:
        raise ApiError(409, "conflict", f"cluster {body.name!r} exists") from None
    return NewTokenPublic(cluster=cluster.name, id=cluster.tokens[0].id, token=token)


@router.delete("/{name}", status_code=204, response_class=Response, responses=responses(401, 403, 404, 503))
def delete_cluster(name: str, _: AdminDep, session: SessionDep) -> Response:
    """Remove a cluster and its tokens; its decisions stay in the history."""
    if not remove_cluster(name, session=session):
        raise _no_cluster(name)
    return Response(status_code=204)


@router.post(
    "/{name}/tokens",
    status_code=201,
    responses=responses(400, 401, 403, 404, 413, 422, 503),
    openapi_extra=json_body_openapi(TokenCreateRequest, required=False),
)
def create_token(name: str, _: AdminDep, body: NewToken, session: SessionDep) -> NewTokenPublic:
    """Issue another token for the cluster; `revoke_others` makes it a rotation."""
    made = add_token(name, revoke_others=bool(body and body.revoke_others), session=session)
    if made is None:
        raise _no_cluster(name)
    token, plain = made
    return NewTokenPublic(cluster=name, id=token.id, token=plain)


@router.delete(
    "/{name}/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses=responses(401, 403, 404, 503),
)
def delete_token(name: str, token_id: str, _: AdminDep, session: SessionDep) -> Response:
    """Revoke one token, by the id that GET /clusters/{name} shows."""
    if not revoke_token(name, token_id, session=session):
        raise ApiError(404, "not_found", f"cluster {name!r} has no token {token_id!r}")
    return Response(status_code=204)


@router.put(
    "/{name}/policy",
    responses=responses(400, 401, 403, 404, 413, 422, 503),
    openapi_extra=json_body_openapi(ClusterPolicy),
)
def update_policy(name: str, _: AdminDep, policy: NewPolicy, session: SessionDep) -> ClusterPublic:
    """Replace the cluster's policy (its default iallocator parameters)."""
    cluster = set_policy(name, policy, session=session)
    if cluster is None:
        raise _no_cluster(name)
    return ClusterPublic.of(cluster, activity(session=session, names=[name]).get(name))
