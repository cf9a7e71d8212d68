"""Request ids, access logs and the last-resort 500."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.core.logging import JsonFormatter
from app.main import create_app
from tests.api.conftest import make_settings, running
from tests.api.fakes import fake_answer

pytestmark = pytest.mark.anyio


async def test_request_id_echoed_when_given(client):
    response = await client.get("/healthz", headers={"X-Request-Id": "ganeti-job-42"})
    assert response.headers["X-Request-Id"] == "ganeti-job-42"


@pytest.mark.parametrize("given", [None, "has space", "x" * 200])
async def test_request_id_made_when_missing_or_unsafe(client, given):
    headers = {"X-Request-Id": given} if given else {}
    response = await client.get("/healthz", headers=headers)
    assert len(response.headers["X-Request-Id"]) == 32


async def test_access_log_is_json_with_request_id(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("iallocd.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await client.get("/healthz", headers={"X-Request-Id": "rid-1"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["msg"] == "GET /healthz 200"
    assert (line["request_id"], line["route"], line["status"], line["level"]) == (
        "rid-1",
        "/healthz",
        200,
        "INFO",
    )


async def test_unhandled_error_500_json_without_traceback(sqlite_url, caplog):
    app = create_app(make_settings(sqlite_url), answer=fake_answer)

    async def boom() -> None:
        raise RuntimeError("secret detail")

    app.add_api_route("/boom", boom)
    async with running(app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "secret detail" not in response.text
    assert "X-Request-Id" in response.headers
    assert any("secret detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)
