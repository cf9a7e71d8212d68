"""Through a real uvicorn process on a loopback port (fake engine): clusters in parallel, tokens
kept apart, history exact, and decisions surviving a restart on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ADMIN, ADMIN_TOKEN, bearer
from tests.api.fakes import document
from tests.support.service import running_service, service_env

pytestmark = pytest.mark.slow

UVICORN = ["-m", "uvicorn", "tests.api.fake_service:create", "--factory", "--no-access-log"]


def env_for(url: str) -> dict[str, str]:
    return service_env(database_url=url, admin_token=ADMIN_TOKEN, engine_workers="2", cluster_concurrency="2")


def register(base: str, name: str) -> dict[str, str]:
    response = httpx.post(f"{base}/admin/clusters", json={"name": name}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return bearer(response.json()["token"])


def history(base: str, name: str, headers: dict[str, str]) -> set[str]:
    page = httpx.get(f"{base}/clusters/{name}/decisions", params={"limit": 500}, headers=headers).json()
    assert page["total"] == len(page["items"])
    return {d["id"] for d in page["items"]}


async def allocate_many(base: str, name: str, headers: dict[str, str], count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        responses = await asyncio.gather(
            *(
                client.post("/allocate", content=document(name, instance=f"i{n}"), headers=headers)
                for n in range(count)
            )
        )
    assert [r.status_code for r in responses] == [200] * count
    return [r.headers["X-Iallocd-Decision-Id"] for r in responses]


def test_service_two_clusters_concurrently_isolated_and_history_exact(tmp_path):
    with running_service(UVICORN, env_for(f"sqlite:///{tmp_path}/db.sqlite"), tmp_path / "log") as base:
        c1, c2 = register(base, "c1.example.com"), register(base, "c2.example.com")

        async def both() -> tuple[list[str], list[str]]:
            return await asyncio.gather(
                allocate_many(base, "c1.example.com", c1, 12), allocate_many(base, "c2.example.com", c2, 12)
            )

        made1, made2 = asyncio.run(both())
        cross = httpx.post(f"{base}/allocate", content=document("c1.example.com"), headers=c2)
        assert cross.status_code == 403
        assert history(base, "c1.example.com", c1) == set(made1)
        assert history(base, "c2.example.com", c2) == set(made2)
        assert httpx.get(f"{base}/clusters/c1.example.com/decisions", headers=c2).status_code == 403


def restart_keeps_decisions(url: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with running_service(UVICORN, env_for(url), log) as base:
        c1 = register(base, "c1")
        made = asyncio.run(allocate_many(base, "c1", c1, 5))
    with running_service(UVICORN, env_for(url), log) as base:
        assert history(base, "c1", c1) == set(made)
        made += asyncio.run(allocate_many(base, "c1", c1, 1))
        assert history(base, "c1", ADMIN) == set(made)


def test_service_restart_keeps_decisions_sqlite(tmp_path):
    restart_keeps_decisions(f"sqlite:///{tmp_path}/db.sqlite", tmp_path)


@pytest.mark.postgres
def test_service_restart_keeps_decisions_postgresql(tmp_path, postgres):
    restart_keeps_decisions(postgres.create_database(), tmp_path)
