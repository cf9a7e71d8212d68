"""POST /clusters/{name}/explain with the real engine: consistent with POST /allocate on the
same document, records nothing, auth and errors as the rest of the API."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest

from app.service.answer import answer
from tests.api.conftest import ADMIN, Registered, Serve, register
from tests.support import docs as d

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"  # the name tests.support.docs documents carry


@pytest.fixture
async def real(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(answer=answer) as client:
        yield client


def _doc(template: str = "plain") -> d.Doc:
    return d.document(
        {"n1": d.node(), "n2": d.node(free_memory=1000), "n3": d.node(), "n4": d.node(offline=True)},
        {"i1": d.instance(["n1"]), "i2": d.instance(["n3"], memory=4096)},
        request=d.allocate(memory=2048, template=template),
    )


async def _explain(client: httpx.AsyncClient, who: Registered, doc: d.Doc, **params: str) -> httpx.Response:
    return await client.post(
        f"/clusters/{who.name}/explain", content=d.encode(doc), headers=who.headers, params=params
    )


@pytest.mark.parametrize("template", ["plain", "drbd"])
async def test_explain_consistent_with_allocate_on_same_document(real, template):
    c = await register(real, CLUSTER)
    doc = _doc(template=template)
    explained = await _explain(real, c, doc)
    assert explained.status_code == 200, explained.text
    allocated = (await real.post("/allocate", content=d.encode(doc), headers=c.headers)).json()
    body = explained.json()
    assert body["answer"] == allocated and allocated["success"] is True
    assert body["candidates"][0]["nodes"] == allocated["result"]
    assert body["candidates"][0]["global_n1"] == "passed"
    assert [x["score"] for x in body["candidates"]] == sorted(x["score"] for x in body["candidates"])
    rejected = body["rejected"]["new"]["nodes"]
    assert rejected["n2"] == {
        "group": "default",
        "code": "FailMem",
        "constraint": "memory (incl. N+1 reservation)",
    }
    assert rejected["n4"]["code"] is None


async def test_explain_records_no_decision(real):
    c = await register(real, CLUSTER)
    assert (await _explain(real, c, _doc())).status_code == 200
    cluster = (await real.get(f"/clusters/{CLUSTER}", headers=c.headers)).json()
    assert (cluster["decisions"], cluster["state"]) == (0, None)


async def test_explain_top_gzip_and_params(real):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    headers = c.headers | {"Content-Encoding": "gzip"}
    response = await real.post(
        f"/clusters/{CLUSTER}/explain",
        content=gzip.compress(d.encode(_doc())),
        headers=headers,
        params=[("top", "1"), ("param", "--restrict-allocation-to=n1,n2"), ("param", "--unknown-flag")],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(x["nodes"], x["global_n1"]) for x in body["candidates"]] == [(["n1"], "off")]  # policy's flag
    assert body["rejected"]["new"]["nodes"]["n3"]["constraint"] == "not in the node restriction"
    assert body["warnings"] == ["ignoring unknown parameter --unknown-flag"]


async def test_explain_other_request_type_answer_without_candidates(real):
    c = await register(real, CLUSTER)
    doc = d.document(
        {"n1": d.node(), "n2": d.node(), "n3": d.node()},
        {"i1": d.instance(["n1", "n2"])},
        request={"type": "relocate", "name": "i1", "relocate_from": ["n2"], "required_nodes": 1},
    )
    body = (await _explain(real, c, doc)).json()
    assert body["answer"] == (await real.post("/allocate", content=d.encode(doc), headers=c.headers)).json()
    assert (body["request_type"], body["candidates"], body["rejected"]) == ("relocate", [], {})


async def test_explain_auth_and_cluster_checks(real):
    c = await register(real, CLUSTER)
    other = await register(real, "other.example.com")
    doc = d.encode(_doc())
    url = f"/clusters/{CLUSTER}/explain"
    assert (await real.post(url, content=doc)).status_code == 401
    assert (await real.post(url, content=doc, headers=other.headers)).status_code == 403
    forbidden = await real.post("/clusters/other.example.com/explain", content=doc, headers=other.headers)
    assert forbidden.status_code == 403 and "is for 'cluster.example.com'" in forbidden.json()["detail"]
    assert (await real.post("/clusters/nope/explain", content=doc, headers=ADMIN)).status_code == 404
    assert (await real.post(url, content=doc, headers=ADMIN)).status_code == 200
    assert (await real.post(url, content=doc, headers=c.headers)).status_code == 200


async def test_explain_bad_document_400_with_loc(real):
    c = await register(real, CLUSTER)
    doc = _doc()
    del doc["request"]["memory"]
    response = await _explain(real, c, doc)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_document"
    assert response.json()["detail"][0]["loc"] == "request.memory"


async def test_explain_bad_parameter_400_and_metrics(real):
    c = await register(real, CLUSTER)
    response = await _explain(real, c, _doc(), param="--static-kvm-node-memory=lots")
    assert (response.status_code, response.json()["error"]) == (400, "bad_parameter")
    assert (await _explain(real, c, _doc())).status_code == 200
    metrics = (await real.get("/metrics")).text
    assert 'iallocd_engine_duration_seconds_count{request_type="explain"} 1.0' in metrics
    assert 'route="/clusters/{name}/explain",status="400"' in metrics
