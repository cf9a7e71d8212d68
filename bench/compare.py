"""Do two iallocator answers agree? Same `success`; for allocate our score is no worse (lower or
equal, from `info`); for multi-allocate and evacuations we place or move at least as many."""

from __future__ import annotations

from typing import Any

from tests.support.hail import parse_score

SCORE_SLACK = 1e-6
Answer = dict[str, Any]


def _placed(answer: Answer) -> int:
    """Instances allocated (multi-allocate) or moved (node-evacuate, change-group): result[0]."""
    result = answer.get("result")
    return len(result[0]) if isinstance(result, list) and result and isinstance(result[0], list) else 0


def disagreement(request: str, hail: Answer, ours: Answer) -> str | None:
    """Why our answer is worse than or different from hail's, or None when they agree."""
    if hail.get("success") != ours.get("success"):
        return f"success: hail {hail.get('success')}, ours {ours.get('success')}"
    if not ours.get("success"):
        return None
    if request.startswith("allocate"):
        theirs, mine = parse_score(str(hail.get("info", ""))), parse_score(str(ours.get("info", "")))
        if theirs is not None and mine is not None and mine > theirs + SCORE_SLACK:
            return f"score: hail {theirs:.8f}, ours {mine:.8f}"
        if (theirs is None) != (mine is None):
            return f"score: hail {theirs}, ours {mine}"
    elif request.startswith(("multi-allocate", "node-evacuate", "change-group")):
        if _placed(ours) < _placed(hail):
            return f"placed/moved: hail {_placed(hail)}, ours {_placed(ours)}"
    return None
