"""The engine: pure algorithms turning a built cluster and a parsed request into a reply (no I/O).

This is its whole public surface; nothing outside the engine imports its submodules.
"""

from __future__ import annotations

from app.engine.balance.jobs import Step, format_commands
from app.engine.balance.options import BalanceOptions, MoveKind
from app.engine.balance.plan import GroupPlan, balance
from app.engine.moves.applied import Placement, apply_placements, placements
from app.engine.options import EngineOptions, options_from_params
from app.engine.questions.candidates import Candidate, NodeRejection, Rejections
from app.engine.questions.explain import DEFAULT_TOP, Explanation, explain_request
from app.engine.questions.explain_moves import InstanceMove, MoveCandidate
from app.engine.questions.groups import GroupOutlook, N1Failure, group_outlook, standard_instance
from app.engine.questions.headroom import DEFAULT_LIMIT, GroupRoom, Headroom, Stop, headroom, probe_request
from app.engine.reply import Reply
from app.engine.requests.dispatch import run_request

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
