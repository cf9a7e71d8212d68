"""The decision history: a cluster's decisions, one decision, and the input document kept with it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from app.api.deps import Principal, PrincipalDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.examples import ALLOCATE_REQUEST
from app.api.schemas import DecisionPublic, DecisionsPublic
from app.service.upload import unpack_document
from app.store.decisions import DecisionFilter, get_decision, list_decisions
from app.store.models import Decision

router = APIRouter()  # tags per route: a cluster's history is listed with the clusters


def _iso_only(value: object) -> object:
    # pydantic would also take a number as a Unix time; the API documents ISO 8601 only.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/clusters/{name}/decisions", tags=["clusters"], responses=responses(401, 403, 422, 503))
def read_decisions(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    request_type: Annotated[
        str | None, Query(alias="type", description="allocate, relocate, change-group, ...")
    ] = None,
    instance: Annotated[str | None, Query(description="Decisions about this instance")] = None,
    since: Annotated[IsoTime | None, Query(description="Made at or after (ISO 8601; UTC if no zone)")] = None,
    until: Annotated[IsoTime | None, Query(description="Made before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62, description="decisions to skip")] = 0,
) -> DecisionsPublic:
    """The cluster's decisions, newest first (kept after the cluster is removed)."""
    principal.check_cluster(name)
    where = DecisionFilter(request_type, instance, _utc(since), _utc(until))
    items, total = list_decisions(name, where, session=session, limit=limit, offset=offset)
    return DecisionsPublic(
        items=[DecisionPublic.of(d) for d in items], total=total, limit=limit, offset=offset
    )


def _visible(decision: Decision | None, principal: Principal, decision_id: str) -> Decision:
    # Another cluster's decision is reported missing, not forbidden: ids reveal nothing.
    if decision is None or not principal.may_see(decision.cluster):
        raise ApiError(404, "not_found", f"no decision {decision_id!r}")
    return decision


@router.get("/decisions/{decision_id}", tags=["decisions"], responses=responses(401, 404, 503))
def read_decision(decision_id: str, principal: PrincipalDep, session: SessionDep) -> DecisionPublic:
    """A decision of the history."""
    return DecisionPublic.of(_visible(get_decision(decision_id, session=session), principal, decision_id))


@router.get(
    "/decisions/{decision_id}/document",
    tags=["decisions"],
    response_class=Response,
    responses={
        200: {
            "description": "The input document, as received",
            "content": {"application/json": {"example": ALLOCATE_REQUEST}},
        },
        **responses(401, 404, 503),
    },
)
def read_document(decision_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """The iallocator input document of a decision, if it was kept."""
    found = get_decision(decision_id, session=session, with_document=True)
    decision = _visible(found, principal, decision_id)
    if decision.document is None:
        raise ApiError(404, "not_found", "the document was not kept (size cap, retention or settings)")
    return Response(unpack_document(decision.document), media_type="application/json")
