"""The decision page's explanation (POST /ui/decisions/ID/explain) with the real engine: the same
candidates and rejection counts as POST /clusters/NAME/explain on the kept document, a cluster's
session only for its own decisions, and no button where the document was not kept."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest

from app.service.answer import answer
from tests.api.conftest import ADMIN, ADMIN_TOKEN, Registered, register
from tests.api.console.helpers import ORIGIN, log_in
from tests.support import docs as d

pytestmark = pytest.mark.anyio

CLUSTER = "cluster.example.com"  # the name tests.support.docs documents carry
NODES = {"n1": d.node(), "n2": d.node(free_memory=1000), "n3": d.node(), "n4": d.node(offline=True)}


def _doc(memory: int, template: str = "plain") -> d.Doc:
    return d.document(NODES, {"i1": d.instance(["n1"])}, request=d.allocate(memory=memory, template=template))


async def _decide(client: httpx.AsyncClient, who: Registered, doc: d.Doc) -> str:
    response = await client.post("/allocate", content=d.encode(doc), headers=who.headers)
    assert response.status_code == 200, response.text
    return response.headers["X-Iallocd-Decision-Id"]


async def _api_explain(client: httpx.AsyncClient, who: Registered, doc: d.Doc) -> dict:
    response = await client.post(f"/clusters/{who.name}/explain", content=d.encode(doc), headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _counts(html: str, kind: str = "code") -> dict[str, int]:
    """The rejection table's rows of a kind (code: nodes ruled out, secondary: DRBD pairs)."""
    rows = re.findall(
        rf'<tr data-{kind}="([^"]*)"><td>[^<]*</td><td>[^<]*</td><td class="num count">(\d+)', html
    )
    return {code: int(n) for code, n in rows}


def _per_code(nodes: dict) -> dict[str, int]:
    return dict(Counter(r["code"] or "" for r in nodes.values()))


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_failed_decision_explained_as_the_api_explains_its_document(real):
    c = await register(real, CLUSTER)
    doc = _doc(memory=64 * 1024 * 1024)
    decision = await _decide(real, c, doc)
    await log_in(real, c.token)
    before = (await real.get(f"/ui/decisions/{decision}")).text
    assert f'action="/ui/decisions/{decision}/explain"' in before and ">Explain</button>" in before
    assert f"POST /clusters/{CLUSTER}/explain" in before
    response = await real.post(f"/ui/decisions/{decision}/explain", headers=ORIGIN)
    assert response.status_code == 200, response.text
    html = response.text
    api = await _api_explain(real, c, doc)
    expected = _per_code(api["rejected"]["new"]["nodes"])
    assert _counts(html) == expected and expected["FailMem"] == 3
    assert "Re-run explain</button>" in html and "No candidate placement." in html
    assert api["answer"]["info"] in html and "candidates dropped by the global N+1 check" in html
    # the per-node table: each node with its constraint
    assert "<td>n2</td><td>default</td><td>FailMem</td><td>memory (incl. N+1 reservation)</td>" in html
    cluster = (await real.get(f"/clusters/{CLUSTER}", headers=c.headers)).json()
    assert cluster["decisions"] == 1  # explaining records nothing


@pytest.mark.parametrize("template", ["plain", "drbd"])
async def test_successful_decision_best_candidates_as_the_api(real, template):
    c = await register(real, CLUSTER, params=["--no-capacity-checks"])
    doc = _doc(memory=1024, template=template)
    decision = await _decide(real, c, doc)
    await log_in(real, ADMIN_TOKEN)
    html = (await real.post(f"/ui/decisions/{decision}/explain", headers=ORIGIN)).text
    api = await _api_explain(real, c, doc)
    table = html.split('<table class="candidates">')[1].split("</table>")[0]
    rows = [_text(r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert rows == [
        f"new {', '.join(x['nodes'])} default {x['score']:.6g} {x['global_n1']}" for x in api["candidates"]
    ]
    assert api["candidates"][0]["global_n1"] == "off" and "--no-capacity-checks" in html
    rejected = api["rejected"]["new"]
    assert (
        _counts(html) == _per_code(rejected["nodes"]) and _counts(html, "secondary") == rejected["secondary"]
    )
    assert (template == "drbd") == bool(rejected["secondary"])


async def test_explain_only_for_own_cluster_same_origin_and_a_session(real):
    c, other = await register(real, CLUSTER), await register(real, "other.example.com")
    decision = await _decide(real, c, _doc(memory=1024))
    url = f"/ui/decisions/{decision}/explain"
    no_session = await real.post(url, headers=ORIGIN)
    assert no_session.status_code == 303 and "/ui/login" in no_session.headers["location"]
    await log_in(real, other.token)
    theirs = await real.post(url, headers=ORIGIN)
    assert theirs.status_code == 404 and "n1" not in theirs.text
    assert (await real.post("/ui/decisions/nope/explain", headers=ORIGIN)).status_code == 404
    await log_in(real, c.token)
    assert (await real.post(url)).status_code == 403
    assert (await real.post(url, headers={"Origin": "http://evil.example"})).status_code == 403
    assert (await real.post(url, headers=ORIGIN)).status_code == 200


async def test_document_not_kept_no_button(serve):
    async with serve(answer=answer, document_max_bytes=10) as client:
        c = await register(client, CLUSTER)
        decision = await _decide(client, c, _doc(memory=1024))
        await log_in(client, c.token)
        html = (await client.get(f"/ui/decisions/{decision}")).text
        assert (
            "was not kept" in html
            and "/explain" + '"' not in html
            and "<button" not in html.split("</header>")[1]
        )
        response = await client.post(f"/ui/decisions/{decision}/explain", headers=ORIGIN)
        assert response.status_code == 404 and "not kept" in response.text


async def test_engine_refusal_and_deleted_cluster_shown_on_the_page(real):
    c = await register(real, CLUSTER)
    decision = await _decide(real, c, _doc(memory=1024))
    policy = {"params": ["--static-kvm-node-memory=-1"]}
    assert (
        await real.put(f"/admin/clusters/{CLUSTER}/policy", json=policy, headers=ADMIN)
    ).status_code == 200
    await log_in(real, ADMIN_TOKEN)
    url = f"/ui/decisions/{decision}/explain"
    refused = await real.post(url, headers=ORIGIN)
    assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]
    assert "Explain failed: --static-kvm-node-memory" in _text(refused.text)
    assert (await real.delete(f"/admin/clusters/{CLUSTER}", headers=ADMIN)).status_code == 204
    gone = await real.post(url, headers=ORIGIN)
    assert gone.status_code == 404 and f"no cluster {CLUSTER!r}" in gone.text.replace("&#39;", "'")


async def test_evacuation_decision_explained_per_instance_moved(real):
    c = await register(real, CLUSTER)
    nodes = {f"n{i}": d.node() for i in range(1, 5)}
    instances = {"i1": d.instance(["n1", "n2"], template="drbd", memory=1024)}
    doc = d.document(
        nodes, instances, {"type": "node-evacuate", "instances": ["i1"], "evac_mode": "secondary-only"}
    )
    decision = await _decide(real, c, doc)
    await log_in(real, c.token)
    html = (await real.post(f"/ui/decisions/{decision}/explain", headers=ORIGIN)).text
    api = await _api_explain(real, c, doc)
    (move,) = api["moves"]
    first = move["candidates"][0]
    text = _text(html)
    assert "mode secondary-only" in text and "moved" in text and ">moves<" not in html
    assert f"{first['kind']} {', '.join(first['nodes'])}" in text  # the chosen move, first row
