"""POST /allocate with the fake engine: auth, parameters, documents, encodings, limits, faults."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from tests.api.conftest import ADMIN, Registered, register
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


async def test_allocate_valid_token_answer_unchanged_and_recorded(client):
    c1 = await register(client, "c1.example.com")
    doc = document("c1.example.com", instance="web1")
    response = await client.post("/allocate", content=doc, headers=c1.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == {
        "success": True,
        "info": "params=;defaults=",
        "result": ["node1", "node2"],
    }
    decision_id = response.headers["X-Iallocd-Decision-Id"]
    assert response.headers["X-Request-Id"]
    recorded = (await client.get(f"/decisions/{decision_id}", headers=c1.headers)).json()
    assert recorded["cluster"] == "c1.example.com"
    assert recorded["instances"] == ["web1"]
    assert recorded["nodes"] == ["node1", "node2"]
    assert recorded["request_id"] == response.headers["X-Request-Id"]
    assert recorded["document_size"] == len(doc)


async def test_allocate_request_params_and_policy_defaults_reach_answer_separately(client):
    c1 = await register(client, "c1", params=["--no-capacity-checks"])
    response = await client.post(
        "/allocate",
        params=[("param", "--ignore-soft-errors"), ("param", "--restrict-allocation-to=node1,node2")],
        content=document("c1"),
        headers=c1.headers,
    )
    info = response.json()["info"]
    assert (
        info
        == "params=--ignore-soft-errors --restrict-allocation-to=node1,node2;defaults=--no-capacity-checks"
    )
    decision = (await client.get("/clusters/c1/decisions", headers=c1.headers)).json()["items"][0]
    assert decision["params"] == ["--ignore-soft-errors", "--restrict-allocation-to=node1,node2"]
    assert decision["defaults"] == ["--no-capacity-checks"]


async def test_allocate_without_token_401(client):
    response = await client.post("/allocate", content=document("c1"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_allocate_unknown_token_401(client):
    await register(client, "c1")
    response = await client.post(
        "/allocate", content=document("c1"), headers={"Authorization": "Bearer iad_nope"}
    )
    assert response.status_code == 401


async def test_allocate_other_clusters_document_403(client):
    await register(client, "c1")
    c2 = await register(client, "c2")
    response = await client.post("/allocate", content=document("c1"), headers=c2.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "this token belongs to cluster 'c2', not 'c1'"}


async def test_allocate_cluster_name_late_in_document_still_checked_403(client):
    c2 = await register(client, "c2")
    doc = json.loads(document("c1"))
    reordered = {k: v for k, v in doc.items() if k != "cluster_name"} | {"cluster_name": "c1"}
    response = await client.post("/allocate", content=json.dumps(reordered), headers=c2.headers)
    assert response.status_code == 403
    assert (await client.get("/clusters/c2/decisions", headers=c2.headers)).json()["total"] == 0


def _name_past_the_head(cluster: str) -> bytes:
    """A document whose cluster_name comes after a member larger than the API's look at the head."""
    doc = json.loads(document(cluster))
    padded = {"cluster_tags": ["x" * 1000] * 100} | {k: v for k, v in doc.items() if k != "cluster_name"}
    return json.dumps(padded | {"cluster_name": cluster}).encode()


async def test_allocate_cluster_name_past_the_head_checked_in_the_engine_process_403(client):
    c2 = await register(client, "c2")
    response = await client.post("/allocate", content=_name_past_the_head("c1"), headers=c2.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "the document is for 'c1', not 'c2'"}
    assert (await client.get("/clusters/c2/decisions", headers=c2.headers)).json()["total"] == 0


async def test_allocate_admin_token_cluster_name_past_the_head_400_naming_it(client):
    await register(client, "c1")
    response = await client.post("/allocate", content=_name_past_the_head("c1"), headers=ADMIN)
    assert response.status_code == 400
    (item,) = response.json()["detail"]
    assert item["loc"] == "cluster_name" and "first 65536 bytes" in item["msg"]


async def test_allocate_duplicate_cluster_name_key_last_one_wins_403(client):
    c2 = await register(client, "c2")
    doc = document("c2").decode()
    forged = doc[:-1] + ', "cluster_name": "c1"}'
    response = await client.post("/allocate", content=forged, headers=c2.headers)
    assert response.status_code == 403


async def test_allocate_invalid_json_400_with_loc_and_msg(client):
    c1 = await register(client, "c1")
    response = await client.post("/allocate", content=b"{not json", headers=c1.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_document"
    assert body["detail"][0]["loc"] == ""
    assert body["detail"][0]["msg"].startswith("not valid JSON")


async def test_allocate_missing_field_400_names_the_field(client):
    c1 = await register(client, "c1")
    doc = json.loads(document("c1"))
    del doc["request"]
    response = await client.post("/allocate", content=json.dumps(doc), headers=c1.headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_document",
        "detail": [{"loc": "request.type", "msg": "field required"}],
    }


async def test_allocate_parameter_engine_refuses_400(client):
    c1 = await register(client, "c1")
    params = {"param": "--reject=1"}
    response = await client.post("/allocate", params=params, content=document("c1"), headers=c1.headers)
    assert response.status_code == 400
    expected = [{"loc": "--reject=1", "msg": "not a parameter the engine knows"}]
    assert response.json() == {"error": "bad_parameter", "detail": expected}


async def test_allocate_parameter_not_a_flag_422(client):
    c1 = await register(client, "c1")
    params = {"param": "oops"}
    response = await client.post("/allocate", params=params, content=document("c1"), headers=c1.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "query.param.0"


async def test_allocate_gzip_body_answered(client):
    c1 = await register(client, "c1")
    headers = c1.headers | {"Content-Encoding": "gzip"}
    response = await client.post("/allocate", content=gzip.compress(document("c1")), headers=headers)
    assert response.status_code == 200
    assert response.json()["success"] is True


async def test_allocate_corrupt_gzip_400(client):
    c1 = await register(client, "c1")
    headers = c1.headers | {"Content-Encoding": "gzip"}
    response = await client.post("/allocate", content=gzip.compress(document("c1"))[:-10], headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


async def test_allocate_unknown_encoding_415(client):
    c1 = await register(client, "c1")
    headers = c1.headers | {"Content-Encoding": "br"}
    response = await client.post("/allocate", content=document("c1"), headers=headers)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_encoding"


async def test_allocate_body_over_limit_413(serve):
    async with serve(max_body_bytes=1000) as client:
        c1 = await register(client, "c1")
        response = await client.post("/allocate", content=document("c1", nodes=20), headers=c1.headers)
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"


async def test_allocate_streamed_body_over_limit_413(serve):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    async with serve(max_body_bytes=1000) as client:
        c1 = await register(client, "c1")
        response = await client.post("/allocate", content=chunks(), headers=c1.headers)
        assert response.status_code == 413


async def test_allocate_gzip_bomb_413(serve):
    async with serve(max_body_bytes=10_000) as client:
        c1 = await register(client, "c1")
        bomb = gzip.compress(b" " * 1_000_000)
        headers = c1.headers | {"Content-Encoding": "gzip"}
        response = await client.post("/allocate", content=bomb, headers=headers)
        assert response.status_code == 413


async def test_allocate_no_placement_is_200_success_false_and_counted(client):
    c1 = await register(client, "c1")
    response = await client.post("/allocate", content=document("c1", nodes=0), headers=c1.headers)
    assert response.status_code == 200
    assert response.json()["success"] is False
    metrics = (await client.get("/metrics")).text
    assert 'iallocd_failures_total{reason="placement:FailMem"} 1.0' in metrics
    assert 'iallocd_failures_total{reason="placement:FailDisk"} 1.0' in metrics


async def test_allocate_slow_run_timeout_504_run_ended_and_worker_back(serve):
    async with serve(request_timeout=1, cluster_concurrency=1, cluster_queue=0) as client:
        c1 = await register(client, "c1")
        assert (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 200
        slow = await client.post("/allocate", content=document("c1", test_sleep=60), headers=c1.headers)
        assert slow.status_code == 504
        assert slow.json()["error"] == "timeout"
        # The timed-out run occupies c1's only slot until it is ended, and c1's queue has no room.
        busy = await client.post("/allocate", content=document("c1"), headers=c1.headers)
        assert busy.status_code == 429
        assert busy.headers["Retry-After"] == "1"
        deadline = time.monotonic() + 5  # far less than the 60 s the run would take
        while (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 429:
            assert time.monotonic() < deadline, "the timed-out run was not ended"
            await asyncio.sleep(0.1)


async def test_allocate_waits_in_queue_for_a_slot(serve):
    async with serve(cluster_concurrency=1, cluster_queue=4) as client:
        c1 = await register(client, "c1")
        first = client.post("/allocate", content=document("c1", test_sleep=0.5), headers=c1.headers)
        second = client.post("/allocate", content=document("c1"), headers=c1.headers)
        responses = await asyncio.gather(first, second)
        assert [r.status_code for r in responses] == [200, 200]


async def test_allocate_long_run_delays_neither_healthz_nor_other_cluster(serve):
    async with serve(engine_workers=2, cluster_concurrency=1) as client:
        big = await register(client, "big")
        small = await register(client, "small")
        finished: list[str] = []

        async def post(who: Registered, doc: bytes) -> httpx.Response:
            response: httpx.Response = await client.post("/allocate", content=doc, headers=who.headers)
            finished.append(who.name)
            return response

        # Warm both workers, so the timing below measures waiting, not process start.
        await asyncio.gather(post(big, document("big")), post(small, document("small")))
        finished.clear()
        slow = asyncio.create_task(post(big, document("big", test_sleep=2)))
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        assert time.perf_counter() - started < 0.5
        assert (await post(small, document("small"))).status_code == 200
        assert finished == ["small"]
        assert (await slow).status_code == 200


async def test_allocate_engine_process_dies_503_then_recovers(client):
    c1 = await register(client, "c1")
    crashed = await client.post("/allocate", content=document("c1", test_crash=True), headers=c1.headers)
    assert crashed.status_code == 503
    assert crashed.json()["error"] == "engine_unavailable"
    assert (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 200


async def test_allocate_engine_bug_500_without_traceback(client):
    c1 = await register(client, "c1")
    response = await client.post("/allocate", content=document("c1", test_raise=True), headers=c1.headers)
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "Traceback" not in response.text and "engine bug" not in response.text


async def test_allocate_engine_out_of_memory_500_then_next_answered(client):
    c1 = await register(client, "c1")
    response = await client.post("/allocate", content=document("c1", test_exhaust=True), headers=c1.headers)
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert "Traceback" not in response.text
    assert (await client.post("/allocate", content=document("c1"), headers=c1.headers)).status_code == 200


async def test_allocate_store_write_fails_503_and_no_answer(client, sqlite_url):
    from sqlalchemy import create_engine

    c1 = await register(client, "c1")
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE decision_instances"))
        conn.execute(text("DROP TABLE decisions"))
    engine.dispose()
    response = await client.post("/allocate", content=document("c1"), headers=c1.headers)
    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"
    assert "X-Iallocd-Decision-Id" not in response.headers


async def test_allocate_admin_token_unregistered_cluster_403(client):
    response = await client.post("/allocate", content=document("c9"), headers=ADMIN)
    assert response.status_code == 403
    assert (await client.get("/clusters", headers=ADMIN)).json() == []


async def test_allocate_admin_token_unregistered_cluster_allowed_registers_it(serve):
    async with serve(allow_unknown_clusters=True) as client:
        response = await client.post("/allocate", content=document("c9"), headers=ADMIN)
        assert response.status_code == 200
        cluster = (await client.get("/clusters/c9", headers=ADMIN)).json()
        assert cluster["tokens"] == [] and cluster["decisions"] == 1


async def test_allocate_admin_token_document_name_after_other_members_found(client):
    await register(client, "c1")
    doc = json.loads(document("c1"))
    reordered = {k: v for k, v in doc.items() if k != "cluster_name"} | {"cluster_name": "c1"}
    response = await client.post("/allocate", content=json.dumps(reordered), headers=ADMIN)
    assert response.status_code == 200
    assert (await client.get("/clusters/c1/decisions", headers=ADMIN)).json()["total"] == 1


async def test_allocate_document_naming_no_cluster_is_the_tokens(client):
    c1 = await register(client, "c1")
    doc = {k: v for k, v in json.loads(document("c1")).items() if k != "cluster_name"}
    response = await client.post("/allocate", content=json.dumps(doc), headers=c1.headers)
    assert response.status_code == 200
    assert (await client.get("/clusters/c1/decisions", headers=c1.headers)).json()["total"] == 1


async def test_allocate_admin_token_document_naming_no_cluster_400(client):
    doc = {k: v for k, v in json.loads(document("c1")).items() if k != "cluster_name"}
    response = await client.post("/allocate", content=json.dumps(doc), headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == "cluster_name"
