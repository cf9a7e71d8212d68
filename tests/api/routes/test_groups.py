"""GET /clusters/{name}/groups with the real engine: the kept state with its last decision
applied, the standard instance's room falling by each one placed, N+1 failures and why."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import ADMIN, Registered, register
from tests.support import docs as d
from tests.support.replay import placed

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"
GIB = 1024
STD = d.ispec(memory=2 * GIB, cpus=1, disk=1024, disks=1, spindles=1)


def _doc(**request: object) -> d.Doc:
    policy = d.ipolicy(templates=["diskless", "plain"]) | {"std": STD}
    groups = {d.GROUP: d.group(ipol=policy)}
    nodes = {f"n{i}": d.node(memory=8 * GIB) for i in range(1, 4)} | {"n4": d.node(drained=True)}
    return d.document(nodes, {}, d.allocate(**request) if request else None, groups=groups)


async def _groups(client: httpx.AsyncClient, who: Registered, **params: object) -> dict:
    response = await client.get(f"/clusters/{who.name}/groups", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_groups_standard_room_falls_by_each_placed_instance(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    doc = _doc()
    req = d.allocate(memory=2 * GIB, template="plain", disks=(1024,))
    rooms = []
    for k in range(4):
        name = f"std-{k}"
        out = await real.post(
            "/allocate", content=d.encode(doc | {"request": req | {"name": name}}), headers=c.headers
        )
        assert out.json()["success"], out.text
        body = await _groups(real, c)
        (group,) = body["groups"]
        rooms.append(group["standard"]["count"])
        assert body["instances"] == k + 1  # the one just placed is counted
        doc = placed(doc, name, req | {"name": name}, out.json()["result"])
        assert group["free_memory"] == sum(n["free_memory"] for n in doc["nodes"].values())
    assert rooms == [rooms[0] - k for k in range(4)] and rooms[-1] > 0
    assert group["standard"]["instance"]["disk_template"] == "plain"  # drbd or plain before the first
    assert (group["drained"], group["drained_nodes"], group["offline_nodes"]) == (1, ["n4"], [])


async def test_groups_names_n1_failures_and_their_peer(real):
    c = await register(real, CLUSTER)
    nodes = {"n1": d.node(memory=8 * GIB), "n2": d.node(memory=8 * GIB, free_memory=1 * GIB)}
    instances = {"big": d.instance(["n1", "n2"], template="drbd", memory=6 * GIB)}
    doc = d.document(nodes, instances)
    assert (await real.post("/allocate", content=d.encode(doc), headers=c.headers)).status_code == 200
    (group,) = (await _groups(real, c))["groups"]
    assert group["failing_n1"] == 1
    assert group["failing_n1_nodes"] == [
        {"node": "n2", "free_memory": 1 * GIB, "needed": 6 * GIB, "peer": "n1"}
    ]


async def test_groups_probe_counts_a_typed_shape(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    await real.post("/allocate", content=d.encode(_doc()), headers=c.headers)
    small = await _groups(real, c, memory=1 * GIB, disk_template="plain", disk=1024)
    big = await _groups(real, c, memory=4 * GIB, disk_template="plain", disk=1024)
    assert small["probe"]["count"] > big["probe"]["count"] > 0
    assert small["probe"]["instance"]["memory"] == 1 * GIB


async def test_groups_auth_and_no_state(real):
    c = await register(real, CLUSTER)
    other = await register(real, "other.example.com")
    url = f"/clusters/{CLUSTER}/groups"
    assert (await real.get(url)).status_code == 401
    assert (await real.get(url, headers=other.headers)).status_code == 403
    missing = await real.get(url, headers=c.headers)
    assert missing.status_code == 404 and "not sent a request yet" in missing.json()["detail"]
    bad = await real.get(url, headers=ADMIN, params={"memory": -1})
    assert bad.status_code == 422 and "memory" in bad.text


async def test_history_series_follow_the_decisions(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    doc = _doc()
    req = d.allocate(memory=2 * GIB, template="plain", disks=(1024,))
    for k in range(2):
        await real.post(
            "/allocate", content=d.encode(doc | {"request": req | {"name": f"h{k}"}}), headers=c.headers
        )
    await real.post("/allocate", content=d.encode(_doc(memory=10**9)), headers=c.headers)  # fails
    response = await real.get(f"/clusters/{CLUSTER}/history", headers=c.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert sum(h["decisions"] for h in body["hours"]) == 3 and sum(h["failed"] for h in body["hours"]) == 1
    free = [s["free_memory"] for s in body["states"]]
    total = body["states"][0]["total_memory"]
    # each state is its own document with its decision applied: one instance of 2 GiB less free
    assert free == [total - 2 * GIB, total - 2 * GIB, total]
    assert (await real.get(f"/clusters/{CLUSTER}/history")).status_code == 401
    assert (await real.get("/clusters/nope/history", headers=ADMIN)).status_code == 404
