"""HAProxy from Debian (/usr/sbin/haproxy) in front of service replicas on 127.0.0.1, for tests.

The configuration is written to a temporary folder: round robin, health checks on /healthz,
`retries` with `option redispatch`, and only connection failures retried (a POST whose answer was
lost is never sent twice: it may have been decided and stored). A stats socket tells how many
requests each replica holds.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.service import free_port

HAPROXY = "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 512
    stats socket {stats} mode 600 level admin

defaults
    mode http
    option forwardfor
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout check 2s
    retries 3
    option redispatch
    retry-on conn-failure

frontend iallocd
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1
{servers}
"""


def haproxy_binary() -> str | None:
    return HAPROXY if shutil.which(HAPROXY) else shutil.which("haproxy")


class HAProxy:
    """One HAProxy process; `url` is its frontend, `replicas` the ports behind it."""

    def __init__(self, binary: str, folder: Path, replicas: dict[str, int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stats = folder / "haproxy.sock"
        servers = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in replicas.items())
        self.config = folder / "haproxy.cfg"
        self.config.write_text(CONFIG.format(stats=self.stats, port=self.port, servers=servers))
        check = subprocess.run([binary, "-c", "-f", self.config], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {self.config}: {check.stdout}{check.stderr}")
        self.log = folder / "haproxy.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([binary, "-db", "-f", self.config], stdout=out, stderr=out)

    def show_stat(self) -> list[dict[str, str]]:
        """`show stat` of the stats socket: a row per frontend, server and backend."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats))
            sock.sendall(b"show stat\n")
            text = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
        header, *rows = [line for line in text.splitlines() if line]
        names = header.lstrip("# ").split(",")
        return [dict(zip(names, row.split(","), strict=False)) for row in rows]

    def servers(self) -> dict[str, dict[str, str]]:
        return {row["svname"]: row for row in self.show_stat() if row["pxname"] == "replicas"}

    def in_flight(self, server: str) -> int:
        """Requests the replica holds right now (HAProxy's current sessions on it)."""
        return int(self.servers()[server]["scur"] or 0)

    def wait_up(self, names: list[str], timeout: float = 30) -> None:
        """Until the frontend answers and every replica in `names` passes its health check."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                up = {name for name, row in self.servers().items() if row["status"] == "UP"}
                if set(names) <= up and httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except (OSError, httpx.HTTPError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy: {names} not all up within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_haproxy(binary: str, folder: Path, replicas: dict[str, int]) -> Iterator[HAProxy]:
    proxy = HAProxy(binary, folder, replicas)
    try:
        yield proxy
    finally:
        proxy.stop()
