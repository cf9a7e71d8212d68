"""How an engine run for a request can fail; the API turns each into its status code (this
package knows nothing of HTTP).

    EngineError
    ├── Busy               the cluster's queue is full
    ├── EngineTimeout      no answer within the request timeout
    ├── EngineUnavailable  an engine process died (the pool is restarted)
    ├── InputRejected      bad input: `rejected` says which field and why
    └── EngineCrashed      a bug in the engine (logged with its traceback)
"""

from __future__ import annotations

from app.service.jobs import Rejected


class EngineError(Exception):
    """An engine run that gave no result."""


class Busy(EngineError):
    """The cluster's queue is full."""

    def __init__(self, cluster: str) -> None:
        super().__init__(f"too many requests queued for {cluster!r}")
        self.cluster = cluster


class EngineTimeout(EngineError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds} s")


class EngineUnavailable(EngineError):
    """An engine process died."""


class InputRejected(EngineError):
    def __init__(self, rejected: Rejected) -> None:
        super().__init__(rejected.msg)
        self.rejected = rejected


class EngineCrashed(EngineError):
    """The engine raised something other than bad input."""
