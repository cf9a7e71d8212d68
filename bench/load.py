"""The load run: one service, clusters posting concurrently for a fixed time, each one request at
a time (a bounded loop on loopback), some with small documents and some with large ones."""

from __future__ import annotations

import gzip
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import orjson

from bench.cases import REQUESTS, Shape
from bench.service import BenchService, bench_service, service_peak_mib
from tests.support.gen import Doc

LOAD_REQUESTS = ("allocate drbd", "relocate")  # what each cluster alternates between
MIN_ALONE = 3  # requests of each size timed alone, at least


@dataclass(frozen=True)
class LoadPlan:
    seconds: float
    alone_seconds: float
    clusters: int = 10
    large_clusters: int = 3
    small: Shape = Shape(20, 1, "drbd")
    large: Shape = Shape(1000, 2, "drbd")
    params: tuple[str, ...] = ()  # hail's defaults: capacity checks on


@dataclass(frozen=True)
class Sample:
    size: str  # "small" or "large"
    seconds: float
    status: str  # "200", another HTTP status, or the transport error's class name
    decision: str | None = None  # X-Iallocd-Decision-Id of an answer


@dataclass(frozen=True)
class Timing:
    """Where a decision's time went, as the service recorded it."""

    in_service: float  # seconds from body received to answer (queue wait included)
    engine: float  # seconds in the engine


@dataclass
class LoadResult:
    plan: LoadPlan
    elapsed: float = 0.0
    loaded: list[Sample] = field(default_factory=list)
    alone: list[Sample] = field(default_factory=list)
    service_peak_mib: float = 0.0
    timings: dict[str, Timing] = field(default_factory=dict)  # by decision id, under load

    def errors(self) -> Counter[str]:
        return Counter(s.status for s in self.loaded + self.alone if s.status != "200")


@dataclass(frozen=True)
class Poster:
    """One cluster's client: its token and its pre-compressed request bodies."""

    cluster: str
    size: str
    token: str
    bodies: tuple[bytes, ...]


def _bodies(base: Doc, cluster: str) -> tuple[bytes, ...]:
    doc = base | {"cluster_name": cluster}
    rng = random.Random(cluster)
    return tuple(gzip.compress(orjson.dumps(REQUESTS[r](doc, rng)), 1) for r in LOAD_REQUESTS)


def prepare(service: BenchService, plan: LoadPlan) -> list[Poster]:
    """Register the clusters and build their documents (each size generated once)."""
    docs = {"large": plan.large.cluster(), "small": plan.small.cluster()}
    posters = []
    for i in range(plan.clusters):
        size = "large" if i < plan.large_clusters else "small"
        cluster = f"load{i:02d}-{size}.example.com"
        posters.append(Poster(cluster, size, service.register(cluster), _bodies(docs[size], cluster)))
    return posters


def _post_until(
    service: BenchService, poster: Poster, plan: LoadPlan, deadline: float, least: int
) -> list[Sample]:
    samples = []
    headers = {
        "Authorization": f"Bearer {poster.token}",
        "Content-Encoding": "gzip",
        "Content-Type": "application/json",
    }
    params = {"param": list(plan.params)}
    with httpx.Client(base_url=service.url, headers=headers, timeout=service.timeout + 30) as client:
        k = 0
        while time.monotonic() < deadline or k < least:
            body = poster.bodies[k % len(poster.bodies)]
            started = time.perf_counter()
            try:
                response = client.post("/allocate", content=body, params=params)
                status, decision = str(response.status_code), response.headers.get("X-Iallocd-Decision-Id")
            except httpx.HTTPError as exc:
                status, decision = type(exc).__name__, None
            samples.append(Sample(poster.size, time.perf_counter() - started, status, decision))
            k += 1
    return samples


def run_load(service: BenchService, plan: LoadPlan) -> LoadResult:
    """Warm up, time each size alone, then let every cluster post for `plan.seconds`."""
    posters = prepare(service, plan)
    result = LoadResult(plan)
    one_each = {p.size: p for p in posters}.values()
    for poster in one_each:  # warm-up: the engine workers and each cluster's first request
        _post_until(service, poster, plan, 0.0, 1)
    for poster in one_each:
        result.alone += _post_until(service, poster, plan, time.monotonic() + plan.alone_seconds, MIN_ALONE)
    lock = threading.Lock()
    deadline = time.monotonic() + plan.seconds

    def client(poster: Poster) -> None:
        samples = _post_until(service, poster, plan, deadline, 0)
        with lock:
            result.loaded.extend(samples)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(p,)) for p in posters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    result.service_peak_mib = service_peak_mib()
    result.timings = _timings(service, result.loaded)
    return result


def load_on_own_service(workdir: Path, plan: LoadPlan, timeout: float) -> LoadResult:
    """`run_load` on a service started for it in `workdir`: its peak RSS is this load's alone."""
    workdir.mkdir()
    with bench_service(workdir, timeout) as service:
        return run_load(service, plan)


def _timings(service: BenchService, samples: list[Sample]) -> dict[str, Timing]:
    """The recorded latency and engine time of each answered sample (GET /decisions/ID)."""
    timings = {}
    headers = {"Authorization": f"Bearer {service.admin_token}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as client:
        for sample in samples:
            if sample.decision is not None:
                found = client.get(f"/decisions/{sample.decision}").raise_for_status().json()
                timings[sample.decision] = Timing(found["latency_ms"] / 1000, found["engine_seconds"])
    return timings


def percentile(seconds: list[float], q: float) -> float:
    return float(np.percentile(seconds, q)) if seconds else float("nan")
