"""What the engine answers: the iallocator response fields plus a summary for the history."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reply:
    success: bool
    info: str
    result: object
    instances: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    score_before: float | None = None
    score_after: float | None = None


def failed(text: str, why: str = "", instances: list[str] | None = None) -> Reply:
    """A `success: false` answer; `why` (our per-constraint explanation) follows hail's text."""
    info = f"Request failed: {text}" + (f" [why: {why}]" if why else "")
    return Reply(False, info, [], instances or [])
