"""Three `python -m app.serve` replicas on one PostgreSQL behind HAProxy, clusters calling the
real shim, while a replica is killed (SIGKILL) in the middle of a request and started again, and
PostgreSQL is restarted: every call answered or failed with one line, every answer stored once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.audit import assert_sound, audit, history_disorder, read_store, summary
from tests.reliability.replicas import Replica, kill_mid_request
from tests.reliability.settings import ADMIN, SESSION_KEY, soak_clusters, soak_seconds
from tests.reliability.traffic import make_clients, post_with_faults
from tests.support.haproxy import haproxy_binary, running_haproxy
from tests.support.postgres import PostgresServer
from tests.support.service import service_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def haproxy() -> str:
    binary = haproxy_binary()
    if binary is None:
        pytest.skip("haproxy is not installed (`make test-deps`)")
    return binary


@pytest.fixture
def replicas(own_postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[str, list[Replica]]]:
    url = own_postgres.create_database()
    env = service_env(
        database_url=url,
        admin_token=ADMIN,
        session_key=SESSION_KEY,
        engine_workers="1",
        log_level="WARNING",
    )
    started = [Replica(f"r{i}", env, tmp_path) for i in (1, 2, 3)]
    try:
        for replica in started:
            replica.start()
        for replica in started:
            replica.wait_healthy()
        yield url, started
    finally:
        for replica in started:
            replica.stop()


def test_replicas_survive_a_kill_and_a_database_restart(haproxy, own_postgres, replicas, tmp_path, capsys):
    database_url, started = replicas
    seconds = soak_seconds()
    with running_haproxy(haproxy, tmp_path, {r.name: r.port for r in started}) as proxy:
        proxy.wait_up([r.name for r in started])
        clients = make_clients(tmp_path / "clients", proxy.url, ADMIN, soak_clusters())

        def faults() -> list[str]:
            time.sleep(seconds * 0.2)
            victim = started[1]
            events = [kill_mid_request(victim, lambda: proxy.in_flight(victim.name))]
            proxy.wait_up([victim.name])
            time.sleep(max(0.0, seconds * 0.6 - time.monotonic() + began))
            down = time.monotonic()
            own_postgres.restart(down=1.0)
            events.append(f"PostgreSQL restarted (fast shutdown, 1 s down), {time.monotonic() - down:.1f} s")
            return events

        began = time.monotonic()
        calls, events = post_with_faults(clients, seconds, faults)
        elapsed = time.monotonic() - began
        proxy.wait_up([r.name for r in started])
        rows, states = read_store(database_url)
        found = audit(calls, rows, states)
        disorder = history_disorder(proxy.url, ADMIN, clients, calls)
    with capsys.disabled():
        print(f"\nreplicas on PostgreSQL, {len(clients)} clusters, {elapsed:.0f} s: {'; '.join(events)}")
        print(summary(found, calls, rows, elapsed))
    assert_sound(found, rows, disorder)
    assert "holding 0" not in events[0], "the replica was not killed in the middle of a request"
