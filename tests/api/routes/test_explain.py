"""POST /clusters/{name}/explain with the real engine: consistent with POST /allocate on the
same document, records nothing, auth and errors as the rest of the API."""

from __future__ import annotations

import gzip

import httpx
import pytest

from app.api.examples import EVACUATE_REQUEST, EXPLAIN_EVACUATE
from tests.api.conftest import ADMIN, Registered, register
from tests.support import docs as d

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"  # the name tests.support.docs documents carry


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


FIVE = {
    "n1": d.node(),
    "n2": d.node(),
    "n3": d.node(free_memory=100),
    "n4": d.node(),
    "n5": d.node(free_disk=50000),
}
MIRRORED = {"i1": d.instance(["n1", "n2"]), "s": d.instance(["n1"], template="sharedfile")}
GROUPS = {"uuid-one": d.group("one"), "uuid-two": d.group("two")}
MOVES = {
    "relocate": d.document(
        FIVE, MIRRORED, {"type": "relocate", "name": "i1", "relocate_from": ["n2"], "required_nodes": 1}
    ),
    "node-evacuate": d.document(
        FIVE, MIRRORED, {"type": "node-evacuate", "instances": ["i1", "s"], "evac_mode": "all"}
    ),
    "change-group": d.document(
        {
            "n1": d.node("uuid-one"),
            "n2": d.node("uuid-one"),
            "n3": d.node("uuid-two"),
            "n4": d.node("uuid-two"),
            "n5": d.node("uuid-two", free_memory=100),
        },
        MIRRORED,
        {"type": "change-group", "instances": ["i1"], "target_groups": ["two"]},
        GROUPS,
    ),
    "multi-evacuate": d.document(FIVE, MIRRORED, {"type": "multi-evacuate", "evac_nodes": ["n2"]}),
}


# i1's node short of memory: its group, the mode and the step of a move to a new pair
PAIR_STEP = " when changing secondary to new primary"
RULED_OUT = {
    "relocate": ("n3", "default", "secondary-only", ""),
    "node-evacuate": ("n3", "default", "all", PAIR_STEP),
    "change-group": ("n5", "two", "all", PAIR_STEP),
    "multi-evacuate": ("n3", "default", "secondary-only", ""),
}


def _chosen(request_type: str, answer: d.Doc) -> dict[str, list[str]]:
    """Per instance the nodes the answer gives it, as the explanation lists them."""
    if request_type == "relocate":
        return {"i1": ["n1", *answer["result"]]}
    if request_type == "multi-evacuate":
        return {name: ["n1", node] for name, node in answer["result"]}
    return {name: nodes for name, _, nodes in answer["result"][0]}


@pytest.mark.parametrize("request_type", sorted(MOVES))
async def test_explain_move_request_types_first_candidate_is_the_answer(real, request_type):
    c = await register(real, CLUSTER)
    doc = MOVES[request_type]
    explained = await _explain(real, c, doc)
    assert explained.status_code == 200, explained.text
    body = explained.json()
    answer = (await real.post("/allocate", content=d.encode(doc), headers=c.headers)).json()
    assert body["answer"] == answer and answer["success"] is True
    assert (body["request_type"], body["candidates"]) == (request_type, [])
    moves = {m["instance"]: m for m in body["moves"]}
    assert {name: m["candidates"][0]["nodes"] for name, m in moves.items() if m["moved"]} == _chosen(
        request_type, answer
    )
    for m in moves.values():
        scores = [x["score"] for x in m["candidates"]]
        assert scores == sorted(scores) and len(scores) > 1, m
    node, group, mode, step = RULED_OUT[request_type]
    assert moves["i1"]["mode"] == mode
    assert body["rejected"]["i1"]["nodes"][node] == {
        "group": group,
        "code": "FailMem",
        "constraint": "memory (incl. N+1 reservation)" + step,
    }


async def test_explain_move_failing_instance_says_why(real):
    c = await register(real, CLUSTER)
    nodes = FIVE | {"n4": d.node(free_memory=100), "n5": d.node(free_memory=100)}
    doc = d.document(
        nodes, MIRRORED, {"type": "node-evacuate", "instances": ["i1"], "evac_mode": "secondary-only"}
    )
    body = (await _explain(real, c, doc)).json()
    (move,) = body["moves"]
    assert (move["moved"], move["candidates"]) == (False, [])
    assert [[move["instance"], move["error"]]] == body["answer"]["result"][1]
    assert (
        move["why"]
        == "group default: 3 nodes tried; as new secondary, failed on 3 memory (incl. N+1 reservation)"
    )
    assert {n: r["code"] for n, r in body["rejected"]["i1"]["nodes"].items()} == {
        "n1": None,
        "n2": None,
        "n3": "FailMem",
        "n4": "FailMem",
        "n5": "FailMem",
    }


async def test_explain_openapi_example_of_a_move_is_what_the_engine_explains(real):
    c = await register(real, EVACUATE_REQUEST["cluster_name"])
    response = await real.post(
        f"/clusters/{c.name}/explain", json=EVACUATE_REQUEST, headers=c.headers, params={"top": "3"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == EXPLAIN_EVACUATE


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
