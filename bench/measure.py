"""One program run as a child process: wall time, peak RSS of exactly that child (os.wait4), a
time limit enforced through a pidfd (no pid-reuse race) and an optional address-space limit."""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OOM_EXIT = 251  # GHC's runtime exits with 251 when the heap cannot grow ("out of memory")


@dataclass(frozen=True)
class Measured:
    """What one run took; `max_rss_kib` is a lower bound when the run was killed."""

    seconds: float
    max_rss_kib: int
    returncode: int
    timed_out: bool
    stdout: bytes
    stderr: str

    @property
    def out_of_memory(self) -> bool:
        return self.returncode == OOM_EXIT or "out of memory" in self.stderr or "MemoryError" in self.stderr

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.returncode == 0


def _address_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_measured(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    address_limit: int | None = None,
) -> Measured:
    """Run `argv` to completion or until `timeout` s have passed (then SIGKILL); stdout and
    stderr go to files, so large answers cannot block the child on a full pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=None if env is None else dict(env),
            preexec_fn=_address_limit(address_limit) if address_limit else None,
        )
        pidfd = os.pidfd_open(process.pid)
        timed_out = False
        try:
            if not select.select([pidfd], [], [], timeout)[0]:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                timed_out = True
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            process.wait()
            raise
        finally:
            os.close(pidfd)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds=seconds,
            max_rss_kib=usage.ru_maxrss,
            returncode=process.returncode,
            timed_out=timed_out,
            stdout=out.read(),
            stderr=err.read().decode(errors="replace"),
        )
