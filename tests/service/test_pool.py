"""The engine pool: per-cluster limits, the queue, timeouts, and a dead worker."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass

import pytest

from app.service.errors import Busy, EngineUnavailable
from app.service.jobs import Afterwards
from app.service.pool import ClusterGate, EnginePool

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@dataclass(frozen=True)
class Nap:
    """Sleeps; answers with its process id and niceness. `size` picks the pool's lane."""

    seconds: float
    size: int = 0

    def run(self, after: Afterwards) -> tuple[int, int]:
        time.sleep(self.seconds)
        return os.getpid(), os.nice(0)


@dataclass(frozen=True)
class Die:
    size: int = 0

    def run(self, after: Afterwards) -> None:
        os._exit(7)


class SlowToFree:
    def __del__(self) -> None:
        time.sleep(2)


@dataclass(frozen=True)
class Leave:
    size: int = 0

    def run(self, after: Afterwards) -> int:
        after.append(SlowToFree())
        return os.getpid()


async def test_gate_queue_full_busy():
    gate = ClusterGate(limit=1, queue=1)
    await gate.acquire("c1", 1)
    waiter = asyncio.create_task(gate.acquire("c1", 5))
    await asyncio.sleep(0)
    with pytest.raises(Busy):
        await gate.acquire("c1", 1)
    await gate.acquire("c2", 1)  # other clusters are not affected
    gate.release("c1")
    await waiter


async def test_gate_wait_longer_than_timeout_raises_timeout():
    gate = ClusterGate(limit=1, queue=5)
    await gate.acquire("c1", 1)
    with pytest.raises(TimeoutError):
        await gate.acquire("c1", 0.05)
    gate.release("c1")
    await gate.acquire("c1", 0.05)


async def test_pool_start_starts_every_process_before_any_run():
    pool = EnginePool(workers=2, limit=1, queue=0, warm_module="os")
    try:
        before = set(multiprocessing.active_children())
        await pool.start()
        assert len(set(multiprocessing.active_children()) - before) == 3  # 2 workers, the small lane
    finally:
        await pool.close()


async def test_pool_answers_before_freeing_what_a_run_left_afterwards():
    pool = EnginePool(workers=1, limit=1, queue=0, warm_module="os")
    try:
        await pool.run("a", 10, Nap(0))  # the worker is up
        started = time.perf_counter()
        assert await pool.run("a", 10, Leave()) != os.getpid()
        assert time.perf_counter() - started < 1.5  # freeing takes 2 s, after the answer
    finally:
        await pool.close()


async def test_pool_runs_off_the_event_loop_in_other_processes():
    pool = EnginePool(workers=2, limit=2, queue=0, warm_module="os")
    try:
        started = time.perf_counter()
        runs = await asyncio.gather(pool.run("a", 10, Nap(0.3)), pool.run("b", 10, Nap(0.3)))
        assert os.getpid() not in [pid for pid, _ in runs]
        assert time.perf_counter() - started < 0.3 * 2 + 2  # both ran at once (plus process start)
    finally:
        await pool.close()


async def test_pool_timeout_ends_the_run_then_frees_its_slot_and_worker():
    pool = EnginePool(workers=1, limit=1, queue=0, warm_module="os")
    try:
        first = await pool.run("a", 10, Nap(0))  # start the worker
        with pytest.raises(TimeoutError):
            await pool.run("a", 0.1, Nap(30))
        with pytest.raises(Busy):  # the slot is held until the run is ended, OVERTIME later
            await pool.run("a", 1, Nap(0))
        started = time.monotonic()
        while True:
            try:
                again = await pool.run("a", 5, Nap(0))
                break
            except Busy:
                assert time.monotonic() - started < 5, "the 30 s run was not ended"
                await asyncio.sleep(0.05)
        assert time.monotonic() - started < 5
        assert again == first  # the same process: ended, not killed
    finally:
        await pool.close()


async def test_pool_dead_worker_unavailable_then_restarted():
    pool = EnginePool(workers=1, limit=1, queue=0, warm_module="os")
    try:
        with pytest.raises(EngineUnavailable):
            await pool.run("a", 10, Die())
        assert await pool.run("a", 10, Nap(0))
    finally:
        await pool.close()


async def test_pool_close_ends_runaway_runs_after_grace():
    pool = EnginePool(workers=1, limit=1, queue=0, warm_module="os")
    with pytest.raises(TimeoutError):
        await pool.run("a", 0.5, Nap(30))
    started = time.perf_counter()
    await pool.close(grace=0.2)
    assert time.perf_counter() - started < 5


async def test_pool_small_document_not_held_up_by_large_ones():
    pool = EnginePool(workers=1, limit=2, queue=4, warm_module="os", small_bytes=100, niceness=5)
    try:
        await pool.start()
        large = asyncio.create_task(pool.run("big", 10, Nap(1.5, size=1000)))
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        small_pid, small_niceness = await pool.run("small", 10, Nap(0, size=1))
        assert time.perf_counter() - started < 1.0  # in its own lane, not after the large run
        large_pid, large_niceness = await large
        assert small_pid != large_pid
        # the large run gives way to the small lane (and the service) for the CPU
        assert (small_niceness, large_niceness) == (os.nice(0), min(19, os.nice(0) + 5))
    finally:
        await pool.close()
