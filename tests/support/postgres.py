"""A throwaway PostgreSQL server for tests, from Debian's binaries (/usr/lib/postgresql/*/bin).

One server per test session, on a loopback port, in a temporary folder; as root it runs as the
`postgres` user (or `nobody`). Each caller gets a fresh database from `create_database()`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import BinaryIO

import psycopg
import pytest

_STASH = pytest.StashKey["PostgresServer"]()


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="iallocd-pg-"))
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    def start(self) -> None:
        data = self.root / "data"
        subprocess.run(
            [self.bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            user=self.user,
            check=True,
            capture_output=True,
            cwd=self.root,
        )
        self._launch()

    def _launch(self) -> None:
        """Run the server on the existing data folder and wait until it takes connections."""
        data = self.root / "data"
        self._log = open(self.root / "postgres.log", "ab")
        self.process = subprocess.Popen(
            [
                self.bindir / "postgres",
                "-D",
                data,
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                self.root,
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],  # fmt: skip
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            cwd=self.root,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self._dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = (self.root / "postgres.log").read_text(errors="replace")
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
                time.sleep(0.1)

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def restart(self, down: float = 0.0) -> None:
        """A fast shutdown (SIGINT: sessions cut, work committed so far kept), `down` seconds
        with nothing listening, then the same server again on the same port and data."""
        self._halt(signal.SIGINT)
        time.sleep(down)
        self._launch()

    def _halt(self, how: signal.Signals) -> None:
        if self.process is not None:
            self.process.send_signal(how)
            self.process.wait(30)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        self._halt(signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def shared_postgres(config: pytest.Config) -> PostgresServer:
    """The session's server, started on first use and stopped at the end (skips without binaries)."""
    server = config.stash.get(_STASH, None)
    if server is None:
        bindir = postgres_bin()
        if bindir is None:
            pytest.skip("PostgreSQL binaries not found under /usr/lib/postgresql (`make test-deps`)")
        server = PostgresServer(bindir)
        config.add_cleanup(server.stop)
        server.start()
        config.stash[_STASH] = server
    return server
