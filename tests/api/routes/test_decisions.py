"""One decision and its kept document."""

from __future__ import annotations

import gzip

import httpx
import pytest

from tests.api.conftest import ADMIN, Registered, register
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


async def _decide(client: httpx.AsyncClient, who: Registered, doc: bytes, gzipped: bool = False) -> str:
    headers = who.headers | ({"Content-Encoding": "gzip"} if gzipped else {})
    response = await client.post("/allocate", content=gzip.compress(doc) if gzipped else doc, headers=headers)
    assert response.status_code == 200
    return response.headers["X-Iallocd-Decision-Id"]


async def test_read_decision_fields(client):
    c1 = await register(client, "c1")
    decision_id = await _decide(client, c1, document("c1", instance="web1"))
    decision = (await client.get(f"/decisions/{decision_id}", headers=ADMIN)).json()
    assert decision["request_type"] == "allocate"
    assert decision["success"] is True
    assert decision["engine_version"] == "fake-1"
    assert decision["document_kept"] is True
    assert decision["latency_ms"] > 0


async def test_read_decision_other_clusters_token_404(client):
    c1 = await register(client, "c1")
    c2 = await register(client, "c2")
    decision_id = await _decide(client, c1, document("c1"))
    assert (await client.get(f"/decisions/{decision_id}", headers=c2.headers)).status_code == 404
    assert (await client.get(f"/decisions/{decision_id}/document", headers=c2.headers)).status_code == 404


async def test_read_decision_unknown_404(client):
    response = await client.get("/decisions/nope", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("gzipped", [False, True])
async def test_read_document_as_received(client, gzipped):
    c1 = await register(client, "c1")
    doc = document("c1")
    decision_id = await _decide(client, c1, doc, gzipped)
    response = await client.get(f"/decisions/{decision_id}/document", headers=c1.headers)
    assert response.status_code == 200
    assert response.content == doc


@pytest.mark.parametrize("settings", [{"store_documents": False}, {"document_max_bytes": 10}])
async def test_read_document_not_kept_404(serve, settings):
    async with serve(**settings) as client:
        c1 = await register(client, "c1")
        decision_id = await _decide(client, c1, document("c1"))
        assert (await client.get(f"/decisions/{decision_id}", headers=ADMIN)).json()["document_kept"] is False
        assert (await client.get(f"/decisions/{decision_id}/document", headers=ADMIN)).status_code == 404
