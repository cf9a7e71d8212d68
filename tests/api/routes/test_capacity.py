"""POST /clusters/{name}/capacity with the real engine: counts in the last stored state,
consistent with allocating the same shape again and again through POST /allocate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.service.answer import answer
from tests.api.conftest import ADMIN, Registered, register
from tests.support import docs as d
from tests.support.replay import placed

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"
GIB = 1024
THREE_NODES = {f"n{i}": d.node(memory=10 * GIB) for i in range(1, 4)}
PLAIN_4G = {"memory": 4 * GIB, "vcpus": 1, "disk_template": "plain", "disks": [{"size": 1024}]}


async def _allocate(client: httpx.AsyncClient, who: Registered, doc: d.Doc) -> httpx.Response:
    response = await client.post("/allocate", content=d.encode(doc), headers=who.headers)
    assert response.status_code == 200, response.text
    return response


async def _capacity(
    client: httpx.AsyncClient, who: Registered, instance: dict[str, Any], **extra: Any
) -> httpx.Response:
    params = extra.pop("params", None)
    body = {"instance": instance} | extra
    return await client.post(f"/clusters/{who.name}/capacity", json=body, headers=who.headers, params=params)


async def test_capacity_counts_in_last_state_memory_runs_out(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    decided = await _allocate(real, c, d.document(THREE_NODES))
    response = await _capacity(real, c, PLAIN_4G)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"]["decision_id"] == decided.headers["X-Iallocd-Decision-Id"]
    assert (body["count"], body["capped"], body["capped_by"], body["max"]) == (6, False, None, 1000)
    stop = {"code": "FailMem", "reason": "memory (incl. N+1 reservation)", "counts": {"FailMem": 3}}
    assert body["stop"] == stop
    assert body["groups"] == [{"group": "default", "alloc_policy": "preferred", "count": 6, "stop": stop}]
    assert body["instance"]["disk_space_total"] == 1024 and body["instance"]["required_nodes"] == 1


async def test_capacity_params_win_over_policy_and_drbd_total_computed(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    await _allocate(real, c, d.document(THREE_NODES))
    checked = (await _capacity(real, c, PLAIN_4G, params={"param": "--no-capacity-checks=no"})).json()
    assert (checked["count"], checked["stop"]["code"]) == (4, "FailN1")
    drbd = (await _capacity(real, c, PLAIN_4G | {"disk_template": "drbd"})).json()
    assert drbd["instance"]["disk_space_total"] == 1024 + 128 and drbd["instance"]["required_nodes"] == 2


@pytest.mark.parametrize("template", ["plain", "drbd"])
@pytest.mark.parametrize("params", [[], ["--no-capacity-checks"]])
async def test_capacity_consistent_with_repeated_allocate(real, template, params):
    c = await register(real, CLUSTER, params=params)
    doc = d.document(
        {"n1": d.node(), "n2": d.node(free_memory=9000), "n3": d.node(), "n4": d.node(memory=8192)},
        {"i1": d.instance(["n1"], memory=3000), "i2": d.instance(["n3", "n1"], memory=2000)},
    )
    req = d.allocate(memory=3 * GIB, template=template, disks=(2048,))
    first = (await _allocate(real, c, doc | {"request": req})).json()
    assert first["success"]
    doc = placed(doc, req["name"], req, first["result"])  # the state capacity counts in: applied
    shape = {"memory": 3 * GIB, "vcpus": 1, "disk_template": template, "disks": [{"size": 2048}]}
    counted = (await _capacity(real, c, shape)).json()
    placements = 0
    while True:  # allocate again and again, each time in the state with the earlier ones created
        name = f"placed-{placements}"
        out = (await _allocate(real, c, doc | {"request": req | {"name": name}})).json()
        if not out["success"]:
            break
        doc = placed(doc, name, req, out["result"])
        placements += 1
    assert counted["count"] == placements > 0
    assert counted["info"] == out["info"]


async def test_capacity_max_caps_count(real):
    c = await register(real, CLUSTER)
    await _allocate(real, c, d.document(THREE_NODES))
    body = (await _capacity(real, c, PLAIN_4G, max=2)).json()
    assert (body["count"], body["capped"], body["capped_by"], body["stop"]) == (2, True, "max", None)


async def test_capacity_no_state_yet_404(real):
    c = await register(real, CLUSTER)
    response = await _capacity(real, c, PLAIN_4G)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "no known state of 'cluster.example.com': it has not sent a request yet",
    }


async def test_capacity_document_not_kept_404(serve):
    async with serve(answer=answer, document_max_bytes=10) as client:
        c = await register(client, CLUSTER)
        await _allocate(client, c, d.document(THREE_NODES))
        response = await _capacity(client, c, PLAIN_4G)
        assert response.status_code == 404
        assert "not kept" in response.json()["detail"]


async def test_capacity_auth_unknown_cluster_and_bad_input(real):
    c = await register(real, CLUSTER)
    other = await register(real, "other.example.com")
    await _allocate(real, c, d.document(THREE_NODES))
    url = f"/clusters/{CLUSTER}/capacity"
    assert (await real.post(url, json={"instance": PLAIN_4G})).status_code == 401
    assert (await real.post(url, json={"instance": PLAIN_4G}, headers=other.headers)).status_code == 403
    assert (
        await real.post("/clusters/nope/capacity", json={"instance": PLAIN_4G}, headers=ADMIN)
    ).status_code == 404
    assert (await real.post(url, json={"instance": PLAIN_4G}, headers=ADMIN)).status_code == 200
    bad = await _capacity(real, c, PLAIN_4G | {"disk_template": "tape"})
    assert (bad.status_code, bad.json()["error"]) == (422, "validation_error")
    assert (await _capacity(real, c, PLAIN_4G, max=0)).status_code == 422
    param = await _capacity(real, c, PLAIN_4G, params={"param": "--static-kvm-node-memory=-1"})
    assert (param.status_code, param.json()["error"]) == (400, "bad_parameter")
    metrics = (await real.get("/metrics")).text
    assert 'iallocd_engine_duration_seconds_count{request_type="capacity"} 1.0' in metrics


SIX_NODES = {f"n{i}": d.node(memory=10 * GIB) for i in range(1, 7)}


async def test_capacity_what_if_counts_in_the_document_given(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    await _allocate(real, c, d.document(THREE_NODES))
    kept = (await _capacity(real, c, PLAIN_4G)).json()
    response = await _capacity(real, c, PLAIN_4G, document=d.document(SIX_NODES))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == {"source": "document", "decision_id": None, "updated": None}
    assert kept["state"]["source"] == "kept"
    assert (kept["count"], body["count"]) == (6, 12)  # two per node of 10 GiB
    cluster = (await real.get(f"/clusters/{CLUSTER}", headers=c.headers)).json()
    assert cluster["decisions"] == 1  # a what-if decides nothing


async def test_capacity_what_if_needs_no_kept_state_and_takes_a_nameless_document(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    nameless = {k: v for k, v in d.document(THREE_NODES).items() if k != "cluster_name"}
    for doc in (d.document(THREE_NODES), nameless):
        response = await _capacity(real, c, PLAIN_4G, document=doc)
        assert response.status_code == 200, response.text
        assert response.json()["count"] == 6


async def test_capacity_what_if_for_another_cluster_403(real):
    c = await register(real, CLUSTER)
    theirs = d.document(THREE_NODES) | {"cluster_name": "x.org"}
    response = await _capacity(real, c, PLAIN_4G, document=theirs)
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "detail": "the document is for 'x.org', not 'cluster.example.com'",
    }


async def test_capacity_body_over_limit_413_and_token_checked_before_reading(serve):
    async with serve(answer=answer, max_body_bytes=2000) as client:
        c = await register(client, CLUSTER)
        url = f"/clusters/{CLUSTER}/capacity"
        big = {"instance": PLAIN_4G, "document": d.document(SIX_NODES)}
        response = await client.post(url, json=big, headers=c.headers)
        assert (response.status_code, response.json()["error"]) == (413, "too_large")
        for headers in ({}, {"Authorization": "Bearer iad_unknown"}):
            assert (await client.post(url, json=big, headers=headers)).status_code == 401


@pytest.mark.parametrize(
    ("document", "status", "loc"),
    [
        (5, 422, "body.document"),
        ({"nodes": "none"}, 400, "body.document.request"),
        (d.document(THREE_NODES) | {"nodes": {"n1": {"group": "x"}}}, 400, "body.document.nodes.n1.offline"),
    ],
)
async def test_capacity_bad_what_if_document_names_the_field(real, document, status, loc):
    c = await register(real, CLUSTER)
    response = await _capacity(real, c, PLAIN_4G, document=document)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert [x["loc"] for x in detail] == [loc], detail


async def test_capacity_body_not_json_or_compressed(real):
    c = await register(real, CLUSTER)
    url = f"/clusters/{CLUSTER}/capacity"
    broken = await real.post(url, content=b"{", headers=c.headers)
    assert (broken.status_code, broken.json()["error"]) == (422, "validation_error")
    assert broken.json()["detail"][0]["loc"] == "body"
    gzipped = await real.post(url, content=b"x", headers=c.headers | {"Content-Encoding": "gzip"})
    assert (gzipped.status_code, gzipped.json()["error"]) == (415, "unsupported_encoding")


async def test_store_documents_off_keeps_no_document_in_the_state_either(serve):
    async with serve(answer=answer, store_documents=False) as client:
        c = await register(client, CLUSTER)
        await _allocate(client, c, d.document(THREE_NODES))
        response = await _capacity(client, c, PLAIN_4G)
        assert response.status_code == 404 and "IALLOCD_STORE_DOCUMENTS" in response.json()["detail"]
        summary = (await client.get(f"/clusters/{CLUSTER}", headers=c.headers)).json()
        assert summary["state"]["summary"]["nodes"] == 3  # the figures are kept, the document not


async def test_capacity_after_a_new_decision_counts_in_the_new_state_not_a_cached_one(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    await _allocate(real, c, d.document(THREE_NODES))
    # other questions each time: no report is reused, each runs in a worker (all of them, in turn)
    first = [(await _capacity(real, c, PLAIN_4G, max=100 + k)).json()["count"] for k in range(4)]
    fuller = THREE_NODES | {"n1": d.node(memory=10 * GIB, free_memory=2 * GIB)}
    await _allocate(real, c, d.document(fuller))
    other = await register(real, "other.example.com", params=["--no-capacity-checks"])
    await _allocate(real, other, d.document(fuller) | {"cluster_name": other.name})
    expected = (await _capacity(real, other, PLAIN_4G)).json()["count"]
    after = [(await _capacity(real, c, PLAIN_4G, max=100 + k)).json()["count"] for k in range(4)]
    assert first == [6] * 4 and expected < 6 and after == [expected] * 4


async def test_capacity_same_question_on_the_same_state_counted_once(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    await _allocate(real, c, d.document(THREE_NODES))
    answers = [(await _capacity(real, c, PLAIN_4G)).json() for _ in range(3)]
    metrics = (await real.get("/metrics", headers=ADMIN)).text
    runs = 'iallocd_engine_duration_seconds_count{request_type="capacity"} 1.0'
    assert answers[0] == answers[1] == answers[2] and runs in metrics
    await _allocate(real, c, d.document(THREE_NODES))  # a new state: counted again
    await _capacity(real, c, PLAIN_4G)
    metrics = (await real.get("/metrics", headers=ADMIN)).text
    assert 'iallocd_engine_duration_seconds_count{request_type="capacity"} 2.0' in metrics
