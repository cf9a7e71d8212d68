"""The service with the real engine (app.service.answer.answer, the default): for each of Ganeti's
test documents it answers exactly what the engine answers in-process, or the same input error."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import httpx
import orjson
import pytest

from app.api.examples import ALLOCATE_REQUEST
from app.main import create_app
from app.protocol.errors import InputError
from app.service.answer import answer
from tests.api.conftest import ADMIN, bearer, make_settings, running
from tests.support.cluster_spec import ClusterSpec, mixed
from tests.support.gen import generate, multi_allocate_request

pytestmark = pytest.mark.anyio

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "ganeti" / "testdata"
DOCUMENTS = sorted(TESTDATA.glob("*.json"))
NO_NAME = "unnamed.example.com"  # the cluster whose token goes with documents naming none


@pytest.fixture
async def real(sqlite_url):
    async with running(create_app(make_settings(sqlite_url))) as client:
        yield client


async def token_for(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    response = await client.post("/admin/clusters", json={"name": name}, headers=ADMIN)
    if response.status_code == 409:
        response = await client.post(f"/admin/clusters/{name}/tokens", headers=ADMIN)
    return bearer(response.json()["token"])


@pytest.mark.skipif(not DOCUMENTS, reason=f"no Ganeti testdata under {TESTDATA}")
async def test_real_engine_ganeti_testdata_answers_as_in_process(real):
    for path in DOCUMENTS:
        data = path.read_bytes()
        name = json.loads(data).get("cluster_name") or NO_NAME
        response = await real.post("/allocate", content=data, headers=await token_for(real, name))
        try:
            expected = answer(data)
        except InputError as exc:
            assert response.status_code == 400, path.name
            assert response.json()["detail"] == [{"loc": exc.path, "msg": exc.reason}], path.name
            continue
        except Exception:
            assert response.status_code == 500 and response.json()["error"] == "internal", path.name
            continue
        assert response.status_code == 200, (path.name, response.text)
        assert response.content == expected.body, path.name


async def test_real_engine_openapi_example_answered(real):
    headers = await token_for(real, ALLOCATE_REQUEST["cluster_name"])
    response = await real.post("/allocate", json=ALLOCATE_REQUEST, headers=headers)
    assert response.status_code == 200
    assert response.json()["success"] is True
    state = (await real.get(f"/clusters/{ALLOCATE_REQUEST['cluster_name']}", headers=headers)).json()["state"]
    assert state["summary"]["nodes"] == 2 and state["score_before"] is not None


async def test_real_engine_run_past_the_timeout_ended_and_the_worker_back(sqlite_url):
    """A document built to run long (300 instances to allocate one by one with the global N+1
    check, several seconds): 504 at the request timeout, the run ended in its process soon
    after (pool.OVERTIME), and the same cluster's next request answered long before the run
    would have finished."""
    base = generate(ClusterSpec(nodes=300, groups=1, templates=mixed(), cluster_name="long.example.com"), 1)
    long = orjson.dumps(multi_allocate_request(base, random.Random(1), 300))
    small = orjson.dumps(multi_allocate_request(base, random.Random(2), 1))
    settings = make_settings(sqlite_url, request_timeout=0.5, cluster_concurrency=1, cluster_queue=0)
    async with running(create_app(settings)) as client:
        headers = await token_for(client, "long.example.com")
        assert (await client.post("/allocate", content=small, headers=headers)).status_code == 200  # warm
        started = time.monotonic()
        slow = await client.post("/allocate", content=long, headers=headers)
        assert slow.status_code == 504
        while (await client.post("/allocate", content=small, headers=headers)).status_code == 429:
            await asyncio.sleep(0.05)
        assert time.monotonic() - started < 3.0  # the run alone takes several seconds
