"""What a decision records, as the engine process reports it: the one list of those fields.

No SQLAlchemy here: the engine processes and the CLI build these without loading the store.
`app.store.decisions.record_outcome` turns one into a `Decision` row, field by field by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DecisionFacts:
    """The decision's own columns, known once the engine has answered."""

    request_type: str
    success: bool
    info: str
    instances: list[str]
    nodes: list[str]  # the nodes chosen, as the answer lists them
    score_before: float | None
    score_after: float | None
    engine_version: str
    engine_seconds: float
    document_sha256: str
    warnings: list[str] = field(default_factory=list)
