"""Replicas on one database: migrations and the purge, one replica at a time (app/store/locks.py)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.synchronize import Barrier as BarrierType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select

from app.store import retention
from app.store.db import alembic_config, create_db_engine, migrate, session_factory
from app.store.decisions import record_decision
from app.store.locks import Lock, advisory_lock
from app.store.models import Base, Decision
from app.store.retention import Purged, purge_expired
from tests.store.test_decisions import T0, make_decision
from tests.support.postgres import PostgresServer

REPLICAS = 2


def _purge(engine: Engine) -> Purged | None:
    now = T0 + timedelta(days=2)
    return purge_expired(engine, session_factory(engine), document_days=0, decision_days=1, now=now)


def _replica_start(url: str, start: BarrierType) -> None:
    """What a replica does first: open the database and migrate it (in a process of its own)."""
    engine = create_db_engine(url)
    start.wait(60)
    migrate(engine)
    engine.dispose()


@pytest.mark.postgres
def test_migrations_started_at_once_on_an_empty_database_all_succeed(postgres: PostgresServer):
    url = postgres.create_database()
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(REPLICAS)
    replicas = [spawn.Process(target=_replica_start, args=(url, start)) for _ in range(REPLICAS)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(120)
    assert [r.exitcode for r in replicas] == [0] * REPLICAS
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_heads() == (
            ScriptDirectory.from_config(alembic_config()).get_current_head(),
        )
    engine.dispose()


def test_purge_while_another_replica_purges_skips(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    with session_factory(engine)() as session:
        record_decision(make_decision(1), None, session=session)
    if engine.dialect.name != "postgresql":  # SQLite: one service, always its turn
        assert _purge(engine) == Purged(0, 1)
        return
    inside, release = threading.Event(), threading.Event()
    real = retention.purge_decisions

    def slow_purge(**kwargs):
        inside.set()
        release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(retention, "purge_decisions", slow_purge)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_purge, engine)
        assert inside.wait(30)
        assert _purge(engine) is None  # another of the pool's connections: another replica
        release.set()
        assert first.result(timeout=30) == Purged(0, 1)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    assert _purge(engine) == Purged(0, 0)  # the lock is free again


@pytest.mark.postgres
def test_a_held_lock_is_released_when_its_block_fails(postgres: PostgresServer):
    engine = create_db_engine(postgres.create_database())
    with pytest.raises(RuntimeError), advisory_lock(engine, Lock.PURGE, wait=False) as held:
        assert held
        raise RuntimeError
    with advisory_lock(engine, Lock.PURGE, wait=False) as held:
        assert held
    engine.dispose()
