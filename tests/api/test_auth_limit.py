"""Failed authentications are limited per client address: 429 with Retry-After, counted in
/metrics; successful requests never count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.api.conftest import ADMIN, ADMIN_TOKEN, bearer, make_settings, register
from tests.api.fakes import fake_answer

pytestmark = pytest.mark.anyio
LIMIT = 3
SAME_ORIGIN = {"Origin": "http://iallocd.test"}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[Any]:
    settings = make_settings(
        sqlite_url, auth_failures_per_minute=LIMIT, metrics_token="metrics-token-0123456789"
    )
    app = create_app(settings, answer=fake_answer)
    async with app.router.lifespan_context(app):
        app.state.service.auth_limiter.clock = app.state.clock = Clock()
        yield app


def client_from(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://iallocd.test")


async def fail(client: httpx.AsyncClient, times: int) -> None:
    for _ in range(times):
        assert (await client.get("/clusters", headers=bearer("iad_guess"))).status_code == 401


def counter(metrics: str, name: str) -> float:
    line = next(line for line in metrics.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


async def test_failures_past_the_limit_429_with_retry_after_and_json(app):
    async with client_from(app, "10.0.0.1") as client:
        await fail(client, LIMIT)
        response = await client.get("/clusters", headers=bearer("iad_guess"))
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "20"  # 3 a minute: one back every 20 s
        assert response.json() == {
            "error": "rate_limited",
            "detail": "too many failed authentications from 10.0.0.1; retry in 20 s",
        }
        # a right token does not get through either: 429 or 200 would tell a guess was right
        assert (await client.get("/clusters", headers=ADMIN)).status_code == 429
        assert (await client.post("/allocate", content=b"{}")).status_code == 429
        app.state.clock.now += 20
        assert (await client.get("/clusters", headers=ADMIN)).status_code == 200


async def test_other_addresses_are_not_limited(app):
    async with client_from(app, "10.0.0.1") as bad, client_from(app, "10.0.0.2") as good:
        await fail(bad, LIMIT)
        assert (await bad.get("/clusters", headers=ADMIN)).status_code == 429
        assert (await good.get("/clusters", headers=ADMIN)).status_code == 200
        assert (await good.get("/clusters", headers=bearer("iad_guess"))).status_code == 401


async def test_successful_requests_never_count(app):
    async with client_from(app, "10.0.0.1") as client:
        c1 = await register(client, "c1")
        for _ in range(10 * LIMIT):
            assert (await client.get("/clusters", headers=c1.headers)).status_code == 200
        await fail(client, LIMIT)  # the whole budget is still there
        assert (await client.get("/clusters", headers=ADMIN)).status_code == 429


async def test_missing_token_counts_as_a_failure(app):
    async with client_from(app, "10.0.0.1") as client:
        for _ in range(LIMIT):
            assert (await client.get("/clusters")).status_code == 401
        assert (await client.get("/clusters")).status_code == 429


async def test_failures_and_refusals_counted_in_metrics(app):
    async with client_from(app, "10.0.0.1") as client, client_from(app, "10.0.0.9") as reader:
        await fail(client, LIMIT)
        for _ in range(2):
            assert (await client.get("/clusters")).status_code == 429
        text = (await reader.get("/metrics", headers=ADMIN)).text
    assert counter(text, "iallocd_auth_failures_total") == LIMIT
    assert counter(text, "iallocd_auth_rate_limited_total") == 2
    assert 'iallocd_failures_total{reason="rate_limited"} 2.0' in text


async def test_metrics_reader_failures_count_too(app):
    async with client_from(app, "10.0.0.1") as client:
        for _ in range(LIMIT):
            assert (await client.get("/metrics", headers=bearer("not-the-metrics-token"))).status_code == 401
        assert (await client.get("/metrics", headers=ADMIN)).status_code == 429


async def test_console_login_failures_count_and_get_429(app):
    async with client_from(app, "10.0.0.1") as client:
        for _ in range(LIMIT):
            response = await client.post("/ui/login", data={"token": "iad_guess"}, headers=SAME_ORIGIN)
            assert response.status_code == 401
        response = await client.post("/ui/login", data={"token": ADMIN_TOKEN}, headers=SAME_ORIGIN)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "20"
        assert "Too many failed logins" in response.text
        assert "iallocd_session" not in response.cookies


async def test_zero_disables_the_limit(serve):
    async with serve(auth_failures_per_minute=0) as client:
        await fail(client, 50)
