"""The engine: pure algorithms turning a built cluster and a parsed request into a reply (no I/O).

This is its whole public surface; nothing outside the engine imports its submodules. Each name
is imported when first used, so a caller loads only the parts it needs (the CLI answering one
allocation never loads the balancer or the operator questions).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.balance.jobs import Step, format_commands
    from app.engine.balance.options import BalanceOptions, MoveKind
    from app.engine.balance.plan import GroupPlan, balance
    from app.engine.moves.applied import Placement, apply_placements, placements
    from app.engine.options import EngineOptions, options_from_params
    from app.engine.questions.candidates import Candidate, NodeRejection, Rejections
    from app.engine.questions.explain import DEFAULT_TOP, Explanation, explain_request
    from app.engine.questions.explain_moves import InstanceMove, MoveCandidate
    from app.engine.questions.groups import GroupOutlook, N1Failure, group_outlook, standard_instance
    from app.engine.questions.headroom import (
        DEFAULT_LIMIT,
        GroupRoom,
        Headroom,
        Stop,
        headroom,
        probe_request,
    )
    from app.engine.reply import Reply
    from app.engine.requests.dispatch import run_request

# Each public name and the module defining it.
_MODULES = {
    "BalanceOptions": "balance.options",
    "Candidate": "questions.candidates",
    "DEFAULT_LIMIT": "questions.headroom",
    "DEFAULT_TOP": "questions.explain",
    "EngineOptions": "options",
    "Explanation": "questions.explain",
    "GroupOutlook": "questions.groups",
    "GroupPlan": "balance.plan",
    "GroupRoom": "questions.headroom",
    "Headroom": "questions.headroom",
    "InstanceMove": "questions.explain_moves",
    "MoveCandidate": "questions.explain_moves",
    "MoveKind": "balance.options",
    "N1Failure": "questions.groups",
    "NodeRejection": "questions.candidates",
    "Placement": "moves.applied",
    "Rejections": "questions.candidates",
    "Reply": "reply",
    "Step": "balance.jobs",
    "Stop": "questions.headroom",
    "apply_placements": "moves.applied",
    "balance": "balance.plan",
    "explain_request": "questions.explain",
    "format_commands": "balance.jobs",
    "group_outlook": "questions.groups",
    "headroom": "questions.headroom",
    "options_from_params": "options",
    "placements": "moves.applied",
    "probe_request": "questions.headroom",
    "run_request": "requests.dispatch",
    "standard_instance": "questions.groups",
}

__all__ = [
    "BalanceOptions",
    "Candidate",
    "DEFAULT_LIMIT",
    "DEFAULT_TOP",
    "EngineOptions",
    "Explanation",
    "GroupOutlook",
    "GroupPlan",
    "GroupRoom",
    "Headroom",
    "InstanceMove",
    "MoveCandidate",
    "MoveKind",
    "N1Failure",
    "NodeRejection",
    "Placement",
    "Rejections",
    "Reply",
    "Step",
    "Stop",
    "apply_placements",
    "balance",
    "explain_request",
    "format_commands",
    "group_outlook",
    "headroom",
    "options_from_params",
    "placements",
    "probe_request",
    "run_request",
    "standard_instance",
]


# `balance` names a function here and a subpackage: loading the subpackage would bind its name
# here (as Python does for every submodule), hiding the function from __getattr__ for good. So
# it is loaded now (its __init__ imports nothing) and the name unbound again.
import_module(f"{__name__}.balance")
del globals()["balance"]


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value  # later lookups find it without coming here
    return value
