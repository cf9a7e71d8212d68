"""Operator queries: the registry, the last known state, the decision history and its filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.conftest import ADMIN, Registered, register
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


async def test_list_clusters_admin_sees_all_cluster_token_its_own(client):
    c1 = await register(client, "c1")
    await register(client, "c2")
    assert [c["name"] for c in (await client.get("/clusters", headers=ADMIN)).json()] == ["c1", "c2"]
    assert [c["name"] for c in (await client.get("/clusters", headers=c1.headers)).json()] == ["c1"]


async def test_list_clusters_pages_by_name_with_total(client):
    for name in ["c3", "c1", "c4", "c2"]:
        await register(client, name)
    await client.post("/allocate", content=document("c5"), headers=(await register(client, "c5")).headers)
    page = await client.get("/clusters", params={"limit": 2, "offset": 1}, headers=ADMIN)
    assert [c["name"] for c in page.json()] == ["c2", "c3"]
    assert page.headers["X-Total-Count"] == "5"
    rest = (await client.get("/clusters", params={"offset": 3}, headers=ADMIN)).json()
    assert [(c["name"], c["decisions"]) for c in rest] == [("c4", 0), ("c5", 1)]


async def test_list_clusters_cluster_token_pages_its_own(client):
    c1 = await register(client, "c1")
    await register(client, "c0")
    own = await client.get("/clusters", params={"offset": 1}, headers=c1.headers)
    assert own.json() == [] and own.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 1001}, {"offset": -1}])
async def test_list_clusters_bad_paging_422(client, query):
    response = await client.get("/clusters", params=query, headers=ADMIN)
    assert response.status_code == 422


async def test_read_cluster_state_after_decision(client):
    c1 = await register(client, "c1", params=["--no-capacity-checks"])
    assert (await client.get("/clusters/c1", headers=c1.headers)).json()["state"] is None
    response = await client.post("/allocate", content=document("c1", nodes=3), headers=c1.headers)
    cluster = (await client.get("/clusters/c1", headers=c1.headers)).json()
    assert cluster["decisions"] == 1
    assert cluster["policy"] == {"params": ["--no-capacity-checks"]}
    state = cluster["state"]
    assert state["decision_id"] == response.headers["X-Iallocd-Decision-Id"]
    assert (state["score_before"], state["score_after"]) == (2.0, 1.5)
    group = state["summary"]["groups"][0]
    assert state["summary"]["nodes"] == 3
    assert (group["name"], group["nodes"], group["free_memory"], group["total_disk"]) == (
        "default",
        3,
        6144,
        30000,
    )


async def test_read_cluster_other_clusters_token_403(client):
    await register(client, "c1")
    c2 = await register(client, "c2")
    assert (await client.get("/clusters/c1", headers=c2.headers)).status_code == 403
    assert (await client.get("/clusters/c1/decisions", headers=c2.headers)).status_code == 403


async def test_read_cluster_unknown_404(client):
    assert (await client.get("/clusters/nope", headers=ADMIN)).status_code == 404


async def _decide(
    client: httpx.AsyncClient, who: Registered, instance: str, request_type: str = "allocate"
) -> str:
    doc = document(who.name, instance=instance, type=request_type)
    response = await client.post("/allocate", content=doc, headers=who.headers)
    assert response.status_code == 200
    return response.headers["X-Iallocd-Decision-Id"]


async def test_decisions_newest_first_and_paginated(client):
    c1 = await register(client, "c1")
    made = [await _decide(client, c1, f"i{n}") for n in range(5)]
    page = (
        await client.get("/clusters/c1/decisions", params={"limit": 2, "offset": 1}, headers=c1.headers)
    ).json()
    assert page["total"] == 5 and (page["limit"], page["offset"]) == (2, 1)
    assert [d["id"] for d in page["items"]] == made[::-1][1:3]


async def test_decisions_filter_by_type_and_instance(client):
    c1 = await register(client, "c1")
    await _decide(client, c1, "a")
    relocated = await _decide(client, c1, "b", request_type="relocate")
    await _decide(client, c1, "b")
    by_type = (
        await client.get("/clusters/c1/decisions", params={"type": "relocate"}, headers=c1.headers)
    ).json()
    assert [d["id"] for d in by_type["items"]] == [relocated]
    by_instance = (
        await client.get("/clusters/c1/decisions", params={"instance": "b"}, headers=c1.headers)
    ).json()
    assert by_instance["total"] == 2
    assert {d["instances"][0] for d in by_instance["items"]} == {"b"}


async def test_decisions_filter_by_time(client):
    c1 = await register(client, "c1")
    first = await _decide(client, c1, "a")
    middle = datetime.now(UTC)
    second = await _decide(client, c1, "b")

    async def ids(**params: str) -> list[str]:
        got = await client.get("/clusters/c1/decisions", params=params, headers=c1.headers)
        return [d["id"] for d in got.json()["items"]]

    assert await ids(since=middle.isoformat()) == [second]
    assert await ids(until=middle.isoformat()) == [first]
    naive_future = (middle + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert await ids(since=naive_future) == []


async def test_decisions_bad_query_422(client):
    c1 = await register(client, "c1")
    response = await client.get(
        "/clusters/c1/decisions", params={"limit": 0, "since": "x"}, headers=c1.headers
    )
    assert response.status_code == 422
    assert {item["loc"] for item in response.json()["detail"]} == {"query.limit", "query.since"}
