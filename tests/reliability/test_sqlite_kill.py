"""One `python -m app.serve` on SQLite (WAL), clusters calling the real shim, the service killed
(SIGKILL) in the middle of a request and started again on the same file: no answer lost."""

from __future__ import annotations

import time

import pytest

from tests.reliability.audit import assert_sound, audit, history_disorder, read_store, summary
from tests.reliability.replicas import Replica, established, kill_mid_request
from tests.reliability.settings import ADMIN, soak_clusters, soak_seconds
from tests.reliability.traffic import make_clients, post_with_faults
from tests.support.service import service_env

pytestmark = pytest.mark.slow


def test_sqlite_service_killed_mid_request_loses_no_answer(tmp_path, capsys):
    database_url = f"sqlite:///{tmp_path / 'iallocd.db'}"
    env = service_env(database_url=database_url, admin_token=ADMIN, engine_workers="1", log_level="WARNING")
    service = Replica("sqlite", env, tmp_path)
    seconds = soak_seconds()
    try:
        service.start()
        service.wait_healthy()
        clients = make_clients(tmp_path / "clients", service.url, ADMIN, soak_clusters())

        def faults() -> list[str]:
            time.sleep(seconds * 0.3)
            return [kill_mid_request(service, lambda: established(service.port))]

        began = time.monotonic()
        calls, events = post_with_faults(clients, seconds, faults)
        elapsed = time.monotonic() - began
        rows, states = read_store(database_url)
        found = audit(calls, rows, states)
        disorder = history_disorder(service.url, ADMIN, clients, calls)
    finally:
        service.stop()
    with capsys.disabled():
        print(f"\nSQLite, {len(clients)} clusters, {elapsed:.0f} s: {'; '.join(events)}")
        print(summary(found, calls, rows, elapsed))
    assert_sound(found, rows, disorder)
    assert "holding 0" not in events[0], "the service was not killed in the middle of a request"
