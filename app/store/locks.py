"""Work that one replica at a time may do, when several share one PostgreSQL database: a
PostgreSQL advisory lock per kind of work, held on a connection of its own while the work runs.

On SQLite (one host, one service) there is nothing to share: the lock is always taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from sqlalchemy import Engine, text


class Lock(IntEnum):
    """Advisory lock keys (one 64-bit key space per database; these spell `iallocd` and a digit)."""

    MIGRATE = 0x69616C6C6F636401
    PURGE = 0x69616C6C6F636402


@contextmanager
def advisory_lock(engine: Engine, key: Lock, *, wait: bool) -> Iterator[bool]:
    """Hold lock `key` for the block; yields whether it is held. `wait`: block until it is free
    (pg_advisory_lock); else give up at once if another session holds it (pg_try_advisory_lock)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        held = True
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": int(key)})
        else:
            held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": int(key)}))
        connection.commit()  # a session-level lock outlives the transaction: no idle transaction
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": int(key)})
                connection.commit()
