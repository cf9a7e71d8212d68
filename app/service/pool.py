"""The engine runs in a pool of processes, off the event loop, at most N at once per cluster.

Small documents (at most `small_bytes` of request bytes) run in the main pool while it has a
free worker, else in a lane of their own (one more process): a few large clusters keeping
every worker busy then do not hold up the small requests of the others. The main pool's
processes may also run at a lower CPU priority (`niceness`) than the small lane and the service
itself: when large runs keep every core busy, a small request and the HTTP front end still get
the CPU.

A cluster over its limit waits in a short queue rather than being refused: Ganeti calls the
iallocator inside a job and a refusal fails the job, while a wait of seconds is harmless. The wait
counts in the request timeout; only a full queue is refused (429). A run that outlives its request
is ended in its process OVERTIME seconds later (an alarm raised into it between two Python steps;
a NumPy call under way finishes first) and its cluster's slot is freed then, not before, so
timed-out runs cannot pile up; the process stays and takes the next run.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

from app.service import states
from app.service.errors import Busy, EngineUnavailable
from app.service.jobs import Afterwards, Crashed, Job, Rejected, TimedOut, execute
from app.service.memory import tune_malloc

T = TypeVar("T")
log = logging.getLogger(__name__)
OVERTIME = 0.5  # seconds a run may go on past its request's time (the request has had its 504)


@dataclass
class _Lane:
    semaphore: asyncio.Semaphore
    waiting: int = 0


class ClusterGate:
    """Per-cluster concurrency limit with a bounded queue."""

    def __init__(self, limit: int, queue: int) -> None:
        self.limit = limit
        self.queue = queue
        self._lanes: dict[str, _Lane] = {}

    async def acquire(self, cluster: str, timeout: float) -> None:
        """Take a slot, waiting at most `timeout` s; raises Busy or TimeoutError."""
        lane = self._lanes.setdefault(cluster, _Lane(asyncio.Semaphore(self.limit)))
        if lane.semaphore.locked() and lane.waiting >= self.queue:
            raise Busy(cluster)
        lane.waiting += 1
        try:
            await asyncio.wait_for(lane.semaphore.acquire(), max(timeout, 0))
        finally:
            lane.waiting -= 1

    def release(self, cluster: str) -> None:
        self._lanes[cluster].semaphore.release()


def _ready() -> None:
    """Nothing: a task that starts a worker (see EnginePool.start)."""


def _warm(module: str, niceness: int, state_bytes: int) -> None:
    """Worker initializer: import the engine before the first request needs it; keep its
    arrays in the heap; size its cache of parsed kept states."""
    os.nice(niceness)
    importlib.import_module(module)
    tune_malloc()
    states.configure(state_bytes)


class EnginePool:
    """A process pool (forkserver: workers never inherit the service's sockets) and a ClusterGate."""

    def __init__(
        self,
        workers: int,
        limit: int,
        queue: int,
        warm_module: str,
        small_bytes: int = 2 << 20,
        niceness: int = 0,
        state_bytes: int = 0,
    ) -> None:
        self.workers = workers
        self.small_bytes = small_bytes
        self.niceness = niceness
        self.state_bytes = state_bytes
        self.gate = ClusterGate(limit, queue)
        self._warm_module = warm_module
        self._executor = self._new_executor(small=False)
        self._small = self._new_executor(small=True)
        self._busy = 0  # runs in the main pool

    def _new_executor(self, small: bool) -> ProcessPoolExecutor:
        workers, niceness = (1, 0) if small else (self.workers, self.niceness)
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the engine once; each worker (a fork of it) starts warm. This takes
        # effect when the fork server starts, i.e. for the first pool of the process.
        context.set_forkserver_preload(["app.service.jobs", self._warm_module])
        return ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_warm,
            initargs=(self._warm_module, niceness, self.state_bytes),
        )

    async def start(self) -> None:
        """Start every engine process now. ProcessPoolExecutor starts them on first use, i.e. in
        the first burst of requests, where a start takes seconds and holds up every request
        queued for that process (after a restart they do start on use). It starts a process for
        each submission that finds none idle: one no-op per worker, submitted at once."""
        lanes = ((self._executor, self.workers), (self._small, 1))
        starting = [executor.submit(_ready) for executor, workers in lanes for _ in range(workers)]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in starting))

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is self._executor or broken is self._small:
            log.error("an engine process died; restarting the engine pool")
            broken.shutdown(wait=False, cancel_futures=True)
            if broken is self._executor:
                self._executor = self._new_executor(small=False)
            else:
                self._small = self._new_executor(small=True)

    async def run(self, cluster: str, timeout: float, job: Job[T]) -> T | Rejected | Crashed | TimedOut:
        """`job` in a worker under `cluster`'s limit; the whole wait is bounded by `timeout`.
        The lane follows the job's document size."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.gate.acquire(cluster, timeout)
        main = job.size > self.small_bytes or self._busy < self.workers
        executor = self._executor if main else self._small
        try:
            left = deadline - loop.time() + OVERTIME
            future: Future[T | Rejected | Crashed | TimedOut] = executor.submit(
                execute, job, Afterwards(), left
            )
        except (BrokenProcessPool, RuntimeError) as exc:
            self.gate.release(cluster)
            self._restart(executor)
            raise EngineUnavailable(str(exc)) from exc

        if main:
            self._busy += 1

        def finished() -> None:
            self.gate.release(cluster)
            if main:
                self._busy -= 1

        def done(_: Future[T | Rejected | Crashed | TimedOut]) -> None:
            try:
                loop.call_soon_threadsafe(finished)
            except RuntimeError:  # the loop is closed: the service is stopping
                pass

        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), deadline - loop.time())
        except BrokenProcessPool as exc:
            self._restart(executor)
            raise EngineUnavailable(str(exc)) from exc

    async def close(self, grace: float = 10.0) -> None:
        """Stop the workers; runs still going after `grace` s (timed-out runaways) are terminated."""
        processes: list[BaseProcess] = []
        for executor in (self._executor, self._small):
            processes += getattr(executor, "_processes", {}).values()
            executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(_join, processes, grace)


def _join(processes: list[BaseProcess], grace: float) -> None:
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join()
