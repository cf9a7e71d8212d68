"""A live iallocd service for the benchmark: `python -m app.serve` on a loopback port with a
temporary SQLite store, clusters registered through the admin API, a shim configuration each."""

from __future__ import annotations

import datetime
import os
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from tests.shim.fakes import SHIM, write_config
from tests.support.gen import ClusterSpec, allocate_request, generate
from tests.support.service import running_service, service_env

SHIM_SLACK = 30  # the shim waits this much longer than the service's own time limit
WARM_UP_CLUSTER = "warm-up.example.com"


@dataclass
class BenchService:
    url: str
    admin_token: str
    workdir: Path
    timeout: float  # the service's request timeout, seconds
    tokens: dict[str, str] = field(default_factory=dict)

    def register(self, cluster: str) -> str:
        """Register `cluster` (once) and return its bearer token."""
        if cluster not in self.tokens:
            response = httpx.post(
                f"{self.url}/admin/clusters",
                json={"name": cluster},
                headers={"Authorization": f"Bearer {self.admin_token}"},
                timeout=30,
            )
            response.raise_for_status()
            self.tokens[cluster] = str(response.json()["token"])
        return self.tokens[cluster]

    def shim_config(self, cluster: str) -> Path:
        """The shim's iallocd.conf for `cluster` (registered on first use)."""
        directory = self.workdir / "shim" / cluster
        config = directory / "iallocd.conf"
        if not config.exists():
            directory.mkdir(parents=True)
            token = self.register(cluster)
            write_config(directory, [self.url], token=token, timeout=str(self.timeout + SHIM_SLACK))
        return config

    def warm_up(self) -> None:
        """One small request, so that the engine pool has started before anything is timed."""
        cluster = generate(ClusterSpec(nodes=20, cluster_name=WARM_UP_CLUSTER), 1)
        response = httpx.post(
            f"{self.url}/allocate",
            content=orjson.dumps(allocate_request(cluster, random.Random(1))),
            headers={"Authorization": f"Bearer {self.register(WARM_UP_CLUSTER)}"},
            timeout=self.timeout,
        )
        response.raise_for_status()

    def recorded(self, cluster: str, since: datetime.datetime) -> list[tuple[float, float]]:
        """(engine s, in service s) of the decisions recorded for `cluster` since `since`: the
        engine's time (parse, build, decide) and body received to answer."""
        response = httpx.get(
            f"{self.url}/clusters/{cluster}/decisions",
            params={"since": since.isoformat(), "limit": 500},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        response.raise_for_status()
        items = response.json()["items"]
        return [(float(i["engine_seconds"]), float(i["latency_ms"]) / 1000) for i in items]

    def shim_command(self, document: Path, params: list[str]) -> list[str]:
        return [str(SHIM), str(document), *params]


@contextmanager
def bench_service(workdir: Path, timeout: float) -> Iterator[BenchService]:
    """Start the service (its log is workdir/serve.log) and stop it when the block ends."""
    admin = secrets.token_hex(16)
    env = service_env(
        database_url=f"sqlite:///{workdir / 'iallocd.db'}",
        admin_token=admin,
        request_timeout=str(timeout),
        log_level="WARNING",
    )
    with running_service(["-m", "app.serve"], env, workdir / "serve.log") as url:
        service = BenchService(url, admin, workdir, timeout)
        service.warm_up()
        yield service


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    except OSError:  # the process has gone
        pass
    return found


def _peak_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def service_peak_mib() -> float:
    """Sum of the peak RSS (VmHWM) of our `app.serve` child and all its descendants (the engine
    workers and their fork server): an upper bound of the service's memory at any one time."""
    total = 0
    for child in _children(os.getpid()):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"app.serve" not in f.read():
                    continue
        except OSError:
            continue
        todo = [child]
        while todo:
            pid = todo.pop()
            total += _peak_kib(pid)
            todo += _children(pid)
    return total / 1024
