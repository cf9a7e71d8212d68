"""`uvicorn tests.api.fake_service:create --factory`: the service (settings from IALLOCD_*) with the
fake engine, for tests that need a real server process but not the real engine."""

from __future__ import annotations

from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.api.fakes import fake_answer


def create() -> FastAPI:
    return create_app(Settings(), answer=fake_answer)
