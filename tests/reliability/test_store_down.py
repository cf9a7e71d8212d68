"""Stored before answered: PostgreSQL stops while the engine answers, so the decision cannot be
recorded; the request gets 503 store_unavailable, no answer and no decision id, and once the
database is back nothing of it is in the history."""

from __future__ import annotations

import asyncio

import pytest

from app.main import create_app
from tests.api.conftest import ADMIN, make_settings, running
from tests.api.fakes import document, fake_answer

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_store_down_after_the_engine_answered_503_no_answer(own_postgres):
    app = create_app(make_settings(own_postgres.create_database()), answer=fake_answer)
    async with running(app) as client:
        created = await client.post("/admin/clusters", json={"name": "c1"}, headers=ADMIN)
        headers = {"Authorization": f"Bearer {created.json()['token']}"}
        answer = asyncio.create_task(
            client.post("/allocate", content=document("c1", test_sleep=1.5), headers=headers)
        )
        await asyncio.sleep(0.5)  # the policy was read, the engine is at work
        await asyncio.to_thread(own_postgres.restart, 2.0)  # down until after the engine's answer
        response = await answer
        assert response.status_code == 503, response.text
        assert response.json() == {"error": "store_unavailable", "detail": "the database did not answer"}
        assert "X-Iallocd-Decision-Id" not in response.headers
        assert "success" not in response.text
        history = await client.get("/clusters/c1/decisions", headers=ADMIN)
        assert history.json()["total"] == 0
        assert (await client.post("/allocate", content=document("c1"), headers=headers)).status_code == 200
