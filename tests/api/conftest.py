"""API fixtures: settings on a temporary SQLite file, the app with the fake engine, an httpx client
driving it in-process (lifespan included), and registered clusters with their tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from app.service.answer import answer
from app.store.db import create_db_engine, migrate, session_factory
from tests.api.fakes import fake_answer
from tests.support.postgres import PostgresServer, shared_postgres

ADMIN_TOKEN = "admin-token-for-tests-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("IALLOCD_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> PostgresServer:
    return shared_postgres(request.config)


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "admin_token": ADMIN_TOKEN,
        "engine_workers": 2,
        "cluster_concurrency": 2,
        "request_timeout": 20,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/iallocd.db"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and give a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://iallocd.test") as client:
            yield client


Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serve(sqlite_url: str) -> Serve:
    """serve(**settings) -> an async context manager giving a client of a fresh app (fake engine)."""

    def start(answer: Any = fake_answer, **overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        url = overrides.pop("database_url", sqlite_url)
        return running(create_app(make_settings(url, **overrides), answer=answer))

    return start


@pytest.fixture
async def client(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve() as c:
        yield c


@pytest.fixture
async def real(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app with the real engine."""
    async with serve(answer=answer) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN = bearer(ADMIN_TOKEN)


@dataclass(frozen=True)
class Registered:
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def register(client: httpx.AsyncClient, name: str, params: list[str] | None = None) -> Registered:
    response = await client.post(
        "/admin/clusters", json={"name": name, "policy": {"params": params or []}}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return Registered(name, response.json()["token"])


def store_sessions(url: str) -> Any:
    """A session factory on the same database (to look behind the API's back)."""
    engine = create_db_engine(url)
    migrate(engine)
    return session_factory(engine)
