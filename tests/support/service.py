"""A real service process on a loopback port, for tests that go through uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(**settings: str) -> dict[str, str]:
    """The test's environment without IALLOCD_* variables, plus `settings` as IALLOCD_<NAME>."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IALLOCD_")}
    env.update({f"IALLOCD_{name.upper()}": value for name, value in settings.items()})
    return env


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Until `url`/healthz answers 200; RuntimeError with the log's end if the process exits or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"service not healthy in {timeout} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running_service(command: list[str], env: dict[str, str], log: Path, timeout: float = 60) -> Iterator[str]:
    """Start `command` (which gets --host/--port appended), wait for /healthz, yield its base URL,
    then stop it with SIGTERM (a graceful shutdown) and wait for it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(url, process, log, timeout)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
