"""Clusters posting allocate requests through the real shim for a bounded time, one call at a
time each. Every call asks for an instance named after the cluster and the call's number, so
that the decisions stored can be matched to the calls answered."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.shim.fakes import run_shim, write_config
from tests.support.gen import ClusterSpec, allocate_request, generate

SIZES = {"small": 20, "large": 150}  # nodes of each size's cluster (75 KB and 550 KB documents)
PLACEHOLDER = "instance-named-by-the-call"
SHIM_TIMEOUT = 30  # seconds the shim waits for an answer; the calls are killed after twice that


@dataclass(frozen=True)
class Client:
    cluster: str
    size: str
    folder: Path
    config: Path  # the shim's iallocd.conf, with the cluster's token
    document: bytes  # an allocate request for the instance PLACEHOLDER, renamed by each call


@dataclass(frozen=True)
class Call:
    cluster: str
    seq: int
    size: str
    started: float  # seconds since the traffic began
    seconds: float
    status: int  # the shim's exit status (-1: it hung and was killed)
    answer: dict[str, Any] | None
    stderr: str

    @property
    def instance(self) -> str:
        return instance_name(self.cluster, self.seq)


def instance_name(cluster: str, seq: int) -> str:
    return f"i{seq:05d}.{cluster}"


def register(url: str, admin: str, cluster: str) -> str:
    """Register `cluster` through the admin API; returns its token."""
    headers = {"Authorization": f"Bearer {admin}"}
    response = httpx.post(f"{url}/admin/clusters", json={"name": cluster}, headers=headers, timeout=30)
    response.raise_for_status()
    return str(response.json()["token"])


def make_clients(folder: Path, url: str, admin: str, count: int) -> list[Client]:
    """`count` registered clusters, sizes alternating, each with its shim configuration."""
    bases = {size: generate(ClusterSpec(nodes=nodes), 1) for size, nodes in SIZES.items()}
    clients = []
    for i in range(count):
        size = "large" if i % 2 else "small"
        cluster = f"c{i:02d}-{size}.example.com"
        where = folder / cluster
        where.mkdir(parents=True)
        token = register(url, admin, cluster)
        config = write_config(where, [url], token=token, timeout=str(SHIM_TIMEOUT))
        document = allocate_request(bases[size] | {"cluster_name": cluster}, random.Random(i))
        document["request"]["name"] = PLACEHOLDER
        clients.append(Client(cluster, size, where, config, json.dumps(document).encode()))
    return clients


def call_once(client: Client, seq: int, began: float) -> Call:
    path = client.folder / "input.json"
    path.write_bytes(
        client.document.replace(PLACEHOLDER.encode(), instance_name(client.cluster, seq).encode())
    )
    started = time.monotonic()
    try:
        result = run_shim(client.config, path, timeout=2 * SHIM_TIMEOUT)
        status, stdout, stderr = result.returncode, result.stdout, result.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        status, stdout, stderr = -1, b"", "(killed: no end within the time limit)"
    answer = json.loads(stdout) if status == 0 else None
    return Call(
        client.cluster, seq, client.size, started - began, time.monotonic() - started, status, answer, stderr
    )


def post_for(clients: list[Client], seconds: float) -> list[Call]:
    """Every client calls the shim again and again until `seconds` have passed; all calls."""
    calls: list[Call] = []
    errors: list[Exception] = []  # a client's own failure, raised here rather than lost in its thread
    lock = threading.Lock()
    began = time.monotonic()

    def loop(client: Client) -> None:
        seq = 0
        while time.monotonic() - began < seconds:
            try:
                call = call_once(client, seq, began)
            except Exception as exc:
                errors.append(exc)
                return
            with lock:
                calls.append(call)
            seq += 1

    threads = [threading.Thread(target=loop, args=(client,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 4 * SHIM_TIMEOUT)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a client's calls did not end in time")
    return calls


def post_with_faults(
    clients: list[Client], seconds: float, faults: Callable[[], list[str]]
) -> tuple[list[Call], list[str]]:
    """`post_for` while `faults` runs beside it; the calls, and what `faults` says it did."""
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(faults)
        calls = post_for(clients, seconds)
        return calls, done.result(timeout=4 * SHIM_TIMEOUT)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def load_figures(calls: list[Call], seconds: float) -> str:
    """Answered calls a second and their p50/p99 per document size, as one line."""
    parts = []
    for size in SIZES:
        times = [c.seconds for c in calls if c.size == size and c.status == 0]
        parts.append(
            f"{size}: {len(times) / seconds:.1f}/s, p50 {percentile(times, 50) * 1000:.0f} ms,"
            f" p99 {percentile(times, 99) * 1000:.0f} ms"
        )
    return "; ".join(parts)
