"""Alembic environment: the service passes its connection; the `alembic` command uses the settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.core.config import get_settings
from app.store.db import create_db_engine
from app.store.locks import Lock, advisory_lock
from app.store.models import Base

config = context.config


def run(connection: Connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite too.
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    run(given)
elif context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    engine = create_db_engine(get_settings().database_url)
    with advisory_lock(engine, Lock.MIGRATE, wait=True), engine.begin() as connection:
        run(connection)
    engine.dispose()
