"""Opening the database and migrating it."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.store.db import alembic_config, create_db_engine, migrate, ping
from app.store.models import Base


def test_migrate_head_matches_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_migrate_twice_is_a_no_op(engine):
    migrate(engine)
    assert {"clusters", "tokens", "cluster_states", "decisions", "decision_instances"} <= set(
        inspect(engine).get_table_names()
    )


def test_migrate_down_to_base_and_up_again(engine):
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "decisions" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "decisions" in inspect(engine).get_table_names()


def test_ping_answers(engine):
    ping(engine)


def test_sqlite_file_in_wal_mode_and_folder_created(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path}/new/folder/x.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    assert (tmp_path / "new" / "folder" / "x.db").exists()
