"""The cluster page's balancing card with the real engine: hbal's plan on the kept state (the
same plan POST /clusters/{name}/balance gives), fetched after the page, then remembered per
state; a plan cut short by the count budget says so; another cluster's card is not reachable."""

from __future__ import annotations

import random
import re

import httpx
import pytest

from app.service.answer import answer
from tests.api.conftest import Registered, Serve, register
from tests.api.console.helpers import log_in
from tests.engine.balance.test_plan import UNBALANCED
from tests.support import docs as d, gen

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"  # the generator's cluster_name
PAGE = f"/ui/clusters/{CLUSTER}"


async def _decided(client: httpx.AsyncClient) -> Registered:
    c = await register(client, CLUSTER)
    doc = gen.allocate_request(UNBALANCED, random.Random(1), "drbd")
    assert (await client.post("/allocate", content=d.encode(doc), headers=c.headers)).status_code == 200
    await log_in(client, c.token)
    return c


def _cell(html: str, name: str) -> str:
    match = re.search(rf'<td class="num {name}">([^<]*)</td>', html)
    assert match, f"no {name} cell"
    return match.group(1).strip()


async def test_balance_card_shows_the_api_plan_then_comes_with_the_page(real):
    c = await _decided(real)
    first = (await real.get(PAGE)).text
    assert f'data-report="{PAGE}/balance"' in first and 'id="planning"' in first
    card = await real.get(f"{PAGE}/balance")
    assert card.status_code == 200
    plan = (await real.post(f"/clusters/{CLUSTER}/balance", headers=c.headers)).json()
    (group,) = plan["groups"]
    assert group["steps"], "the cluster should be worth balancing"
    html = card.text
    assert _cell(html, "score-now") == f"{group['initial_score']:.4f}"
    assert _cell(html, "score-after") == f"{group['final_score']:.4f}"
    assert _cell(html, "gain") == f"{group['initial_score'] - group['final_score']:.4f}"
    assert _cell(html, "moves") == str(len(group["steps"]))
    assert group["steps"][0]["commands"][0] in html
    again = (await real.get(PAGE)).text  # remembered for this state: with the page, no fetch
    assert f'data-report="{PAGE}/balance"' not in again
    assert _cell(again, "moves") == str(len(group["steps"]))


async def test_balance_card_without_scripts_plans_before_answering(real):
    await _decided(real)
    html = (await real.get(PAGE, params={"wait": "true"})).text
    assert 'id="planning"' not in html and int(_cell(html, "moves")) > 0


async def test_balance_card_cut_by_the_budget_says_so(serve: Serve):
    async with serve(answer=answer, count_seconds=1e-6) as client:
        await _decided(client)
        html = (await client.get(f"{PAGE}/balance")).text
    assert _cell(html, "moves").startswith("≥") and "the search time" in html


async def test_balance_card_of_another_cluster_is_missing(real):
    await _decided(real)
    other = await register(real, "other.example.com")
    await log_in(real, other.token)
    response = await real.get(f"{PAGE}/balance")
    assert response.status_code == 404 and "score" not in response.text.lower()
