"""The admin API: clusters, tokens and policy, behind IALLOCD_ADMIN_TOKEN."""

from __future__ import annotations

import pytest

from app.store.clusters import ClusterPolicy, add_cluster
from tests.api.conftest import ADMIN, bearer, register, store_sessions
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


async def test_create_cluster_token_allocates(client):
    c1 = await register(client, "c1.example.com")
    assert c1.token.startswith("iad_")
    assert (
        await client.post("/allocate", content=document("c1.example.com"), headers=c1.headers)
    ).status_code == 200


async def test_create_cluster_twice_409(client):
    await register(client, "c1")
    response = await client.post("/admin/clusters", json={"name": "c1"}, headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


@pytest.mark.parametrize(
    "body", [{"name": "bad name"}, {"name": ""}, {"name": "c1", "policy": {"params": ["x"]}}]
)
async def test_create_cluster_invalid_422_with_loc(client, body):
    response = await client.post("/admin/clusters", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["detail"][0]["loc"].startswith("body.")


async def test_create_cluster_with_cluster_token_403(client):
    c1 = await register(client, "c1")
    response = await client.post("/admin/clusters", json={"name": "c2"}, headers=c1.headers)
    assert response.status_code == 403


async def test_create_cluster_without_token_401(client):
    assert (await client.post("/admin/clusters", json={"name": "c2"})).status_code == 401


async def test_admin_api_disabled_without_admin_token(serve, sqlite_url):
    with store_sessions(sqlite_url)() as session:
        _, token = add_cluster("c1", ClusterPolicy(), session=session)
    async with serve(admin_token=None) as client:
        response = await client.post("/admin/clusters", json={"name": "c2"}, headers=bearer(token))
        assert response.status_code == 403
        assert "IALLOCD_ADMIN_TOKEN" in response.json()["detail"]
        assert (await client.post("/admin/clusters", json={"name": "c2"}, headers=ADMIN)).status_code == 401


async def test_delete_cluster_revokes_tokens_keeps_history(client):
    c1 = await register(client, "c1")
    await client.post("/allocate", content=document("c1"), headers=c1.headers)
    assert (await client.delete("/admin/clusters/c1", headers=ADMIN)).status_code == 204
    assert (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 401
    assert (await client.get("/clusters/c1", headers=ADMIN)).status_code == 404
    assert (await client.get("/clusters/c1/decisions", headers=ADMIN)).json()["total"] == 1


async def test_delete_unknown_cluster_404(client):
    response = await client.delete("/admin/clusters/nope", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_add_token_keeps_old_one(client):
    c1 = await register(client, "c1")
    response = await client.post("/admin/clusters/c1/tokens", headers=ADMIN)
    assert response.status_code == 201
    new = bearer(response.json()["token"])
    for headers in (c1.headers, new):
        assert (await client.post("/allocate", content=document("c1"), headers=headers)).status_code == 200


async def test_rotate_token_revokes_old_one(client):
    c1 = await register(client, "c1")
    response = await client.post("/admin/clusters/c1/tokens", json={"revoke_others": True}, headers=ADMIN)
    new = bearer(response.json()["token"])
    assert (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 401
    assert (await client.post("/allocate", content=document("c1"), headers=new)).status_code == 200
    tokens = (await client.get("/clusters/c1", headers=ADMIN)).json()["tokens"]
    assert [t["id"] for t in tokens] == [response.json()["id"]]


async def test_token_for_unknown_cluster_404(client):
    assert (await client.post("/admin/clusters/nope/tokens", headers=ADMIN)).status_code == 404


async def test_delete_token_by_id(client):
    c1 = await register(client, "c1")
    token_id = (await client.get("/clusters/c1", headers=ADMIN)).json()["tokens"][0]["id"]
    assert (await client.delete(f"/admin/clusters/c1/tokens/{token_id}", headers=ADMIN)).status_code == 204
    assert (await client.get("/clusters", headers=c1.headers)).status_code == 401
    assert (await client.delete(f"/admin/clusters/c1/tokens/{token_id}", headers=ADMIN)).status_code == 404


async def test_put_policy_changes_defaults_of_next_request(client):
    c1 = await register(client, "c1", params=["--a"])
    response = await client.put("/admin/clusters/c1/policy", json={"params": ["--b=1"]}, headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["policy"] == {"params": ["--b=1"]}
    answer = await client.post("/allocate", content=document("c1"), headers=c1.headers)
    assert answer.json()["info"].endswith("defaults=--b=1")


async def test_put_policy_unknown_cluster_404(client):
    assert (
        await client.put("/admin/clusters/x/policy", json={"params": []}, headers=ADMIN)
    ).status_code == 404
