"""One decision, and the input document kept with it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import Principal, PrincipalDep, SessionDep
from app.api.errors import ApiError, responses
from app.api.examples import ALLOCATE_REQUEST
from app.api.schemas import DecisionPublic
from app.core.worker import unpack_document
from app.store.decisions import get_decision
from app.store.models import Decision

router = APIRouter(prefix="/decisions", tags=["decisions"])


def _visible(decision: Decision | None, principal: Principal, decision_id: str) -> Decision:
    # Another cluster's decision is reported missing, not forbidden: ids reveal nothing.
    if decision is None or not (principal.admin or decision.cluster == principal.cluster):
        raise ApiError(404, "not_found", f"no decision {decision_id!r}")
    return decision


@router.get("/{decision_id}", responses=responses(401, 404, 503))
def read_decision(decision_id: str, principal: PrincipalDep, session: SessionDep) -> DecisionPublic:
    """A decision of the history."""
    return DecisionPublic.of(_visible(get_decision(decision_id, session=session), principal, decision_id))


@router.get(
    "/{decision_id}/document",
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
