"""Failed authentications per client address (app/core/ratelimit.py), on a clock of our own."""

from __future__ import annotations

import pytest

from app.core.ratelimit import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_burst_of_failures_then_refused_until_one_comes_back(clock):
    limiter = FailureLimiter(6, 100, clock)  # one back every 10 s
    for _ in range(6):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
    assert limiter.retry_after("a") == pytest.approx(10)
    clock.now += 4
    assert limiter.retry_after("a") == pytest.approx(6)
    clock.now += 6
    assert limiter.retry_after("a") is None
    limiter.failed("a")
    assert limiter.retry_after("a") == pytest.approx(10)


def test_addresses_have_buckets_of_their_own(clock):
    limiter = FailureLimiter(2, 100, clock)
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") is not None
    assert limiter.retry_after("b") is None


def test_a_full_bucket_is_forgotten(clock):
    limiter = FailureLimiter(60, 100, clock)
    limiter.failed("a")
    assert len(limiter) == 1
    clock.now += 1
    assert limiter.retry_after("a") is None
    assert len(limiter) == 0


def test_at_most_max_addresses_the_least_recent_failure_forgotten(clock):
    limiter = FailureLimiter(1, 3, clock)
    for address in "abcd":
        limiter.failed(address)
    assert len(limiter) == 3
    assert limiter.retry_after("a") is None  # forgotten
    assert all(limiter.retry_after(address) is not None for address in "bcd")


def test_zero_per_minute_limits_nothing(clock):
    limiter = FailureLimiter(0, 3, clock)
    for _ in range(100):
        limiter.failed("a")
    assert limiter.retry_after("a") is None
    assert len(limiter) == 0
