"""Running an engine job for a request: in the engine pool under the cluster's limit and
within the request timeout; every way it can fail is raised as an `app.service.errors` error."""

from __future__ import annotations

import logging
from typing import TypeVar

from app.service.errors import EngineCrashed, EngineTimeout, InputRejected
from app.service.jobs import Crashed, Job, Rejected, TimedOut
from app.service.pool import EnginePool

T = TypeVar("T")
log = logging.getLogger(__name__)


class EngineRunner:
    """The engine pool and the request timeout every run is bounded by."""

    def __init__(self, pool: EnginePool, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout

    async def run(self, cluster: str, job: Job[T]) -> T:
        """`job`'s result, run under `cluster`'s limit."""
        try:
            result = await self.pool.run(cluster, self.timeout, job)
        except TimeoutError:
            raise EngineTimeout(self.timeout) from None
        if isinstance(result, TimedOut):  # ended by its own alarm before the wait gave up
            raise EngineTimeout(self.timeout)
        if isinstance(result, Rejected):
            raise InputRejected(result)
        if isinstance(result, Crashed):
            log.error("engine error: %s\n%s", result.error, result.trace)
            raise EngineCrashed(result.error)
        return result
