"""POST /clusters/{name}/balance with the real engine: hbal's plan on the kept state or on the
document sent with the call; 404 naming what to send when there is no state."""

from __future__ import annotations

import json
import random

import pytest

from app.engine import BalanceOptions
from app.service.answer import answer
from app.service.balance import plan_document
from tests.api.conftest import ADMIN, Serve, register
from tests.engine.balance.test_plan import UNBALANCED
from tests.support import docs as d, gen
from tests.support.hbal import with_empty_nodes

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"  # the generator's cluster_name
URL = f"/clusters/{CLUSTER}/balance"


async def test_balance_document_sent_gives_the_cli_plan(real):
    c = await register(real, CLUSTER)
    response = await real.post(URL, content=d.encode(UNBALANCED), headers=c.headers, params={"max_length": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    _, expected = plan_document(json.dumps(UNBALANCED).encode(), BalanceOptions(max_length=3))
    assert body["state"] is None and body["moves"] == 3
    assert [s["to"] for s in body["groups"][0]["steps"]] == [s["to"] for s in expected["groups"][0]["steps"]]
    assert body["groups"][0]["jobsets"] == expected["groups"][0]["jobsets"]


async def test_balance_kept_state_after_a_decision(real):
    c = await register(real, CLUSTER)
    doc = gen.allocate_request(UNBALANCED, random.Random(1), "drbd")
    decided = await real.post("/allocate", content=d.encode(doc), headers=c.headers)
    assert decided.status_code == 200
    response = await real.post(URL, headers=c.headers, params={"no_disk_moves": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"]["decision_id"] == decided.headers["X-Iallocd-Decision-Id"]
    steps = body["groups"][0]["steps"]
    assert all(s["move"] == "failover" for s in steps)


async def test_balance_no_state_404_says_what_to_send(real):
    c = await register(real, CLUSTER)
    response = await real.post(URL, headers=c.headers)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "it has not sent a request yet" in detail and "input document" in detail and "body" in detail


async def test_balance_auth_unknown_group_and_other_cluster(real):
    c = await register(real, CLUSTER)
    other = await register(real, "other.example.com")
    body = d.encode(UNBALANCED)
    assert (await real.post(URL, content=body)).status_code == 401
    assert (await real.post(URL, content=body, headers=other.headers)).status_code == 403
    assert (await real.post("/clusters/nope/balance", content=body, headers=ADMIN)).status_code == 404
    bad = await real.post(URL, content=body, headers=c.headers, params={"group": "nosuch"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_parameter")
    wrong = await real.post(f"/clusters/{other.name}/balance", content=body, headers=other.headers)
    assert wrong.status_code == 403  # the document names another cluster
    assert (
        await real.post(URL, content=body, headers=c.headers, params={"max_length": -2})
    ).status_code == 422


async def test_balance_large_cluster_honours_max_length_and_the_request_timeout(real, serve: Serve):
    spec = gen.ClusterSpec(nodes=40, instances_per_node=18)  # a plan of minutes with hbal
    large = d.encode(with_empty_nodes(gen.generate(spec, 40), 2, random.Random(40)))
    c = await register(real, CLUSTER)
    short = await real.post(URL, content=large, headers=c.headers, params={"max_length": 2})
    assert short.status_code == 200, short.text
    (group,) = short.json()["groups"]
    assert len(group["steps"]) == 2 and group["stop"] == "max-length"
    async with serve(answer=answer, request_timeout=3.0) as client:  # the same database
        cut = await client.post(URL, content=large, headers=c.headers)
    assert cut.status_code == 200, cut.text  # a partial plan within the timeout, not a 504
    (group,) = cut.json()["groups"]
    assert group["stop"] == "deadline" and cut.json()["seconds"] < 3.0


async def test_balance_offline_nodes_and_unknown_ones(real):
    c = await register(real, CLUSTER)
    node = sorted(UNBALANCED["nodes"])[0]
    body = d.encode(UNBALANCED)
    params = {"offline": node, "evac_mode": True}
    emptied = await real.post(URL, content=body, headers=c.headers, params=params)
    steps = emptied.json()["groups"][0]["steps"]
    assert emptied.status_code == 200 and steps and all(node not in s["to"] for s in steps)
    bad = await real.post(URL, content=body, headers=c.headers, params={"offline": "nosuch"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_parameter")
    assert bad.json()["detail"] == [{"loc": "--offline", "msg": "no node named 'nosuch'"}]
