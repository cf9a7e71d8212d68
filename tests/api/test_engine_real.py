"""The service with the real engine (app.service.answer.answer, the default): for each of Ganeti's
test documents it answers exactly what the engine answers in-process, or the same input error."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.api.examples import ALLOCATE_REQUEST
from app.main import create_app
from app.protocol.errors import InputError
from app.service.answer import answer
from tests.api.conftest import ADMIN, bearer, make_settings, running

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
