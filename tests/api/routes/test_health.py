"""/healthz, /readyz, /metrics."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine

from app.main import create_app
from tests.api.conftest import ADMIN, make_settings, running
from tests.api.fakes import fake_answer
from tests.service.test_pool import Nap

pytestmark = pytest.mark.anyio


async def test_healthz_ok(client):
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_database_answers_200(client):
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_readyz_database_gone_503(sqlite_url, tmp_path):
    app = create_app(make_settings(sqlite_url), answer=fake_answer)
    async with running(app) as client:
        app.state.service.engine = create_engine(f"sqlite:///{tmp_path}/no/such/dir.db")
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["error"] == "store_unavailable"


async def test_engine_processes_for_large_documents_run_at_the_configured_niceness(sqlite_url):
    app = create_app(make_settings(sqlite_url, engine_niceness=7), answer=fake_answer)
    async with running(app):
        _, main_pool_niceness = await app.state.service.runner.run("c", Nap(0))
        assert main_pool_niceness == min(19, os.nice(0) + 7)


async def test_metrics_count_requests_by_route_template(client):
    await client.get("/clusters/some-name")
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'iallocd_http_requests_total{method="GET",route="/clusters/{name}",status="401"} 1.0' in text
    assert 'iallocd_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'iallocd_failures_total{reason="unauthorized"} 1.0' in text


async def test_metrics_with_a_token_set_need_it_or_the_admin_token(serve):
    reader = "m" * 24
    async with serve(metrics_token=reader) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 24})
        assert (wrong.status_code, wrong.json()["error"]) == (401, "unauthorized")
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {reader}"})
        assert ok.status_code == 200 and "iallocd_http_requests_total" in ok.text
        assert (await client.get("/metrics", headers=ADMIN)).status_code == 200
        assert (await client.get("/healthz")).status_code == 200  # liveness stays open
