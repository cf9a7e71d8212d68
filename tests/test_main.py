"""The service's hourly purge of old documents and decisions (app/main.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.config import Settings
from app.main import _purge
from app.store.db import create_db_engine, migrate, session_factory
from app.store.decisions import record_decision
from tests.store.test_decisions import make_decision


@pytest.mark.parametrize(
    ("documents_days", "decisions_days", "expected"),
    [(0, 0, (0, 0)), (1, 0, (1, 0)), (0, 1, (0, 1)), (1, 1, (1, 1))],
)
def test_purge_follows_both_retention_settings(tmp_path, documents_days, decisions_days, expected):
    url = f"sqlite:///{tmp_path}/iallocd.db"
    engine = create_db_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        record_decision(make_decision(1), None, session=session)  # made on 2026-01-01
    settings = Settings(
        database_url=url, document_retention_days=documents_days, decision_retention_days=decisions_days
    )
    assert _purge(SimpleNamespace(settings=settings, engine=engine, sessions=sessions)) == expected
    engine.dispose()
