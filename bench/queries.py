"""Operator queries on a known cluster's kept state, timed against the bench's live service once
the cases have run: the largest drbd cluster's last decision is the state asked about.

Each query is timed as a client sees it (request sent to response read, loopback): the first
call on the state (the engine process parses the kept document, or finds it in its cache of
parsed states, and counts), then the same call again (the report remembered per state), and for
capacity a new shape each time (a new count on the parsed state)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.report import table
from bench.service import BenchService

AGAIN = 10  # repeated calls of each query
SHAPES = 5  # capacity questions of new shapes
TARGET_MS = 30.0  # issue 17: p50 of operator queries on a kept 1000-node state
COLUMNS = ("query", "first ms", "p50 ms", "max ms", "calls", f"p50 <= {TARGET_MS:g} ms")


@dataclass(frozen=True)
class Timed:
    query: str
    first: float | None  # seconds of the first call (None: every call is a new question)
    times: list[float]  # seconds of the calls that follow


def _timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    took = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url.path}: HTTP {response.status_code}: {response.text[:200]}")
    return took


def _shape(memory: int) -> dict[str, object]:
    return {"instance": {"memory": memory, "vcpus": 1, "disk_template": "drbd", "disks": [{"size": 10240}]}}


def _console_login(client: httpx.Client, service: BenchService) -> None:
    login = client.post(
        "/ui/login", data={"token": service.admin_token, "next": "/"}, headers={"Origin": service.url}
    )
    if login.status_code not in (200, 303):
        raise RuntimeError(f"console login: HTTP {login.status_code}")


def time_queries(service: BenchService, cluster: str) -> list[Timed]:
    """The queries on `cluster`'s kept state (it must have a decision with a kept document)."""
    admin = {"Authorization": f"Bearer {service.admin_token}"}
    with httpx.Client(base_url=service.url, headers=admin, timeout=service.timeout + 30) as client:
        last = client.get(f"/clusters/{cluster}/decisions", params={"limit": 1}).json()["items"][0]["id"]
        calls: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("GET /clusters/NAME/groups", lambda: client.get(f"/clusters/{cluster}/groups")),
            (
                "POST /clusters/NAME/capacity (1 GiB drbd)",
                lambda: client.post(f"/clusters/{cluster}/capacity", json=_shape(1024)),
            ),
            ("GET /clusters/NAME/decisions", lambda: client.get(f"/clusters/{cluster}/decisions")),
            ("console: /ui/clusters/NAME/groups", lambda: client.get(f"/ui/clusters/{cluster}/groups")),
            (
                "console: explain the last decision",
                lambda: client.post(f"/ui/decisions/{last}/explain", headers={"Origin": service.url}),
            ),
        ]
        _console_login(client, service)
        found = [Timed(name, _timed(call), [_timed(call) for _ in range(AGAIN)]) for name, call in calls]
        shapes = [
            _timed(lambda m=2048 + 512 * k: client.post(f"/clusters/{cluster}/capacity", json=_shape(m)))
            for k in range(SHAPES)
        ]
        found.append(Timed("POST /clusters/NAME/capacity, a new shape each call", None, shapes))
    return found


def queries_section(found: list[Timed], cluster: str) -> str:
    """The timings as Markdown, with the target's verdict per query."""
    rows = []
    for t in found:
        p50 = statistics.median(t.times) * 1000
        first = "-" if t.first is None else f"{t.first * 1000:.1f}"
        rows.append(
            (
                t.query,
                first,
                f"{p50:.1f}",
                f"{max(t.times) * 1000:.1f}",
                str(len(t.times) + (t.first is not None)),
                "yes" if p50 <= TARGET_MS else "no",
            )
        )
    notes = (
        f"- The state: `{cluster}` as its last decision left it (admin token; the console's pages "
        "after a login). `first`: the first call on that state; p50 and max: the calls after it.\n"
        "- A count (groups, capacity) places the shape until it no longer fits, at most 1000 times "
        "and for at most IALLOCD_COUNT_SECONDS: a new question costs the count itself."
    )
    return table(COLUMNS, rows) + "\n\n" + notes
