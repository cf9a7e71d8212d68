"""Failed authentications per client address, limited in process memory: a token bucket per
address holding up to `per_minute` attempts and refilled at `per_minute` a minute. Each failure
takes one; an address with none left is refused until one has come back. Successes take none.

At most `max_addresses` addresses are remembered: the one that failed least recently goes
first, and an address whose bucket is full again is forgotten.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FailureLimiter:
    def __init__(
        self, per_minute: int, max_addresses: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # attempts given back per second
        self.max_addresses = max_addresses
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, address: str, now: float) -> _Bucket | None:
        bucket = self._buckets.get(address)
        if bucket is None:
            return None
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= self.capacity:
            del self._buckets[address]
            return None
        return bucket

    def retry_after(self, address: str) -> float | None:
        """Seconds until `address` may try again; None if it may now (or nothing is limited)."""
        if not self.rate:
            return None
        with self._lock:
            bucket = self._refilled(address, self.clock())
            if bucket is None or bucket.tokens >= 1:
                return None
            return (1 - bucket.tokens) / self.rate

    def failed(self, address: str) -> None:
        """Count one failed authentication from `address`."""
        if not self.rate:
            return
        with self._lock:
            now = self.clock()
            bucket = self._refilled(address, now) or _Bucket(self.capacity, now)
            bucket.tokens = max(0.0, bucket.tokens - 1)
            self._buckets[address] = bucket
            self._buckets.move_to_end(address)
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
