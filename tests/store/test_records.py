"""The decision's fields are listed once (DecisionFacts, RequestContext); the table and the API
read them by name, so they must agree."""

from __future__ import annotations

from dataclasses import fields

from app.api.schemas import DecisionPublic
from app.store.decisions import RequestContext
from app.store.models import Decision
from app.store.records import DecisionFacts


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def test_every_reported_field_is_a_decision_attribute():
    attributes = set(Decision.__mapper__.attrs.keys())
    assert _names(DecisionFacts) | _names(RequestContext) <= attributes | {"instances", "cluster"}
    assert not _names(DecisionFacts) & _names(RequestContext)


def test_decision_rows_hold_nothing_the_service_does_not_report():
    own = {"id", "created", "document_kept", "summary"}  # made by the store (summary: of the state)
    columns = {c.key for c in Decision.__mapper__.column_attrs}
    assert columns - own == (_names(DecisionFacts) | _names(RequestContext)) - {"instances"}


def test_public_decision_reads_only_stored_fields():
    renamed = {"time", "instances"}  # created, and the instance rows' names
    assert set(DecisionPublic.model_fields) - renamed <= {c.key for c in Decision.__mapper__.column_attrs}
