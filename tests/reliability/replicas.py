"""`python -m app.serve` replicas on fixed loopback ports, each in a process group of its own, so
that SIGKILL takes the API process and its engine processes at once, as a container's end does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.service import REPO, free_port, wait_healthy


class Replica:
    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "app.serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_healthy(self, timeout: float = 60) -> None:
        assert self.process is not None
        wait_healthy(self.url, self.process, self.log, timeout)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown, requests in flight cut."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), SIGKILL to what is left after 30 s."""
        if self._signal(signal.SIGTERM, wait=30):
            self._signal(signal.SIGKILL)

    def _signal(self, how: signal.Signals, wait: float = 30) -> bool:
        """Send `how` to the group and reap the process; True if it outlived `wait` seconds."""
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, how)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            return True
        try:  # engine processes left in the group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process = None
        return False


def established(port: int) -> int:
    """TCP connections accepted on 127.0.0.1:`port` and open now (/proc/net/tcp): with clients
    that open one per request, as the shim does, the requests in flight."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            local, _remote, state = line.split()[1:4]
            count += state == "01" and int(local.split(":")[1], 16) == port
    return count


def kill_mid_request(victim: Replica, in_flight: Callable[[], int]) -> str:
    """SIGKILL `victim` once `in_flight()` says it holds a request (10 s at most), start it
    again and wait until it answers; what happened, in words."""
    deadline = time.monotonic() + 10
    while (held := in_flight()) < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    victim.kill()
    killed = time.monotonic()
    victim.start()
    victim.wait_healthy()
    return f"{victim.name} killed holding {held} request(s), back in {time.monotonic() - killed:.1f} s"
