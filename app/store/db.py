"""Opening the database: the engine (SQLite in WAL mode, or PostgreSQL), migrations, sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.store.locks import Lock, advisory_lock

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def alembic_config() -> Config:
    """Alembic's configuration without alembic.ini (the caller passes a connection)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """`alembic upgrade head` on `engine` (the service runs it at start). Replicas starting at
    once take turns (`locks.Lock.MIGRATE`): the first migrates, the others then find it done."""
    config = alembic_config()
    with advisory_lock(engine, Lock.MIGRATE, wait=True), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise if the database does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def insert_for(session: Session, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with ON CONFLICT clauses (both backends spell them the same way)."""
    return dialect_insert(session.get_bind().dialect.name, model)


def dialect_insert(dialect: str, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """`insert_for` by the dialect's name."""
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)
