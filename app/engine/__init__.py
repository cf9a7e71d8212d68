"""The engine: pure algorithms turning a built cluster and a parsed request into a reply (no I/O).

This is its whole public surface; nothing outside the engine imports its submodules.
"""

from __future__ import annotations

from app.engine.options import EngineOptions, options_from_params
from app.engine.questions.candidates import Candidate, NodeRejection, Rejections
from app.engine.questions.explain import DEFAULT_TOP, Explanation, explain_request
from app.engine.questions.explain_moves import InstanceMove, MoveCandidate
from app.engine.questions.headroom import DEFAULT_LIMIT, GroupRoom, Headroom, Stop, headroom, probe_request
from app.engine.reply import Reply
from app.engine.requests.dispatch import run_request

__all__ = [
    "Candidate",
    "DEFAULT_LIMIT",
    "DEFAULT_TOP",
    "EngineOptions",
    "Explanation",
    "GroupRoom",
    "Headroom",
    "InstanceMove",
    "MoveCandidate",
    "NodeRejection",
    "Rejections",
    "Reply",
    "Stop",
    "explain_request",
    "headroom",
    "options_from_params",
    "probe_request",
    "run_request",
]
