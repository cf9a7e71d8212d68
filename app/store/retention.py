"""The purge of kept documents and decisions past their retention periods, by one replica at a
time: a replica that finds another one purging skips its turn (`locks.Lock.PURGE`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.store.decisions import purge_decisions, purge_documents
from app.store.locks import Lock, advisory_lock


class Purged(NamedTuple):
    documents: int
    decisions: int


def purge_expired(
    engine: Engine, sessions: sessionmaker[Session], *, document_days: int, decision_days: int, now: datetime
) -> Purged | None:
    """Drop documents kept longer than `document_days`, then decisions older than `decision_days`
    (0 days: kept); None when another replica is purging."""
    with advisory_lock(engine, Lock.PURGE, wait=False) as held:
        if not held:
            return None
        with sessions() as session:
            documents = decisions = 0
            if document_days:
                documents = purge_documents(older_than=now - timedelta(days=document_days), session=session)
            if decision_days:
                decisions = purge_decisions(older_than=now - timedelta(days=decision_days), session=session)
        return Purged(documents, decisions)
