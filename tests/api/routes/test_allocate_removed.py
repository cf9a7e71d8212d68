"""A cluster removed while one of its requests is answered: 409, not 503, and the decision is
not recorded (nothing was sent to Ganeti) but logged."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.api.conftest import ADMIN, register
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, sqlite_url):
    if request.param == "sqlite":
        return sqlite_url
    return request.getfixturevalue("postgres").create_database()


async def test_cluster_removed_in_flight_409_decision_logged(serve, database_url, caplog):
    async with serve(database_url=database_url) as client:
        c1 = await register(client, "c1")
        answer = asyncio.create_task(
            client.post("/allocate", content=document("c1", test_sleep=1), headers=c1.headers)
        )
        await asyncio.sleep(0.5)  # the engine is at work
        assert (await client.delete("/admin/clusters/c1", headers=ADMIN)).status_code == 204
        with caplog.at_level(logging.WARNING, logger="app.api.routes.allocate"):
            response = await answer
        assert response.status_code == 409, response.text
        assert response.json() == {
            "error": "cluster_removed",
            "detail": "cluster 'c1' was removed while this request was answered: the answer was"
            " neither recorded nor sent",
        }
        assert (await client.get("/clusters/c1/decisions", headers=ADMIN)).json()["total"] == 0
    [record] = [r for r in caplog.records if r.getMessage() == "decision dropped: its cluster was removed"]
    assert (record.cluster, record.request_type, record.nodes) == ("c1", "allocate", ["node1", "node2"])


async def test_unknown_cluster_registered_by_the_admin_removed_in_flight_409(serve):
    async with serve(allow_unknown_clusters=True) as client:
        answer = asyncio.create_task(
            client.post("/allocate", content=document("auto", test_sleep=1), headers=ADMIN)
        )
        await asyncio.sleep(0.5)
        assert (await client.delete("/admin/clusters/auto", headers=ADMIN)).status_code == 204
        assert (await answer).status_code == 409
