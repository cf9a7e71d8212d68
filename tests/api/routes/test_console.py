"""Console pages: what the fleet, a cluster and a decision show, against the documents posted,
and that a cluster's session never reaches another cluster's pages or documents."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import ADMIN_TOKEN, register
from tests.api.console.helpers import log_in
from tests.api.fakes import document

pytestmark = pytest.mark.anyio


def _row(html: str, cluster: str) -> str:
    """The fleet table's row of `cluster`."""
    match = re.search(rf'<tr>\s*<td data-value="{re.escape(cluster)}">.*?</tr>', html, re.S)
    assert match, f"no row for {cluster}"
    return match.group(0)


def _cells(row: str) -> list[str]:
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


async def _decide(client, cluster, **doc):
    response = await client.post("/allocate", content=document(cluster.name, **doc), headers=cluster.headers)
    assert response.status_code == 200, response.text
    return response.headers["X-Iallocd-Decision-Id"]


async def test_fleet_numbers_match_posted_documents(client):
    c1, c2 = await register(client, "c1"), await register(client, "c2")
    await register(client, "c3")  # never asked
    await _decide(client, c1, nodes=3)
    await _decide(client, c1, nodes=3)
    await _decide(client, c2, nodes=4)
    await _decide(client, c2, nodes=0)  # nothing online: fails, and leaves c2 with 0 nodes
    await log_in(client, ADMIN_TOKEN)
    html = (await client.get("/")).text
    # c1: 3 nodes of 4096 MiB, 1024*(1+2+3) free; disk 3 x 10000, 3 x 5000 free
    one = _cells(_row(html, "c1"))
    assert one[0] == "c1" and one[1].endswith(" s")
    assert one[2:5] == ["3", "0", "1"]
    assert "6.0 GiB / 12.0 GiB · 50%" in one[5] and "14.6 GiB / 29.3 GiB · 50%" in one[6]
    assert one[7:12] == ["", "0", "2", "0", ""]  # no vCPU limit in these documents, no N+1 failure
    two = _cells(_row(html, "c2"))
    assert two[2] == "0" and two[9:11] == ["2", "1"] and two[11] == "Request failed: FailMem: 2, FailDisk: 1"
    three = _cells(_row(html, "c3"))
    assert three[1] == "never stale" and "no state yet" in three[5] and three[9:11] == ["0", "0"]


async def test_fleet_cluster_session_lists_own_cluster_only(client):
    c1, c2 = await register(client, "c1"), await register(client, "c2")
    await _decide(client, c2, nodes=0)
    await log_in(client, c1.token)
    html = (await client.get("/")).text
    assert "c2" not in html and "FailMem" not in html
    assert "/ui/clusters/c1" in html


async def test_cluster_page_groups_chart_and_decisions(client):
    c1 = await register(client, "c1")
    ok = await _decide(client, c1, nodes=3)
    failed = await _decide(client, c1, nodes=0, name="big")
    await _decide(client, c1, nodes=3)
    await log_in(client, c1.token)
    response = await client.get("/ui/clusters/c1")
    assert response.status_code == 200
    assert "content-security-policy" in response.headers
    html = response.text
    assert "<svg" in html and 'class="failed"' in html and "3 decisions, 1 failed" in html
    assert f"/ui/decisions/{ok}" in html and f"/ui/decisions/{failed}" in html
    assert "6.0 GiB / 12.0 GiB · 50%" in html and 'class="free-memory">6.0 GiB<' in html  # used bar, free


async def test_decision_page_and_document(client):
    c1 = await register(client, "c1")
    decision = await _decide(client, c1, nodes=0, name="web7")
    await log_in(client, c1.token)
    html = (await client.get(f"/ui/decisions/{decision}")).text
    assert "allocate" in html and "web7" in html and "Request failed: FailMem: 2, FailDisk: 1" in html
    assert "2 → 2" in html  # scores before and after
    download = await client.get(f"/ui/decisions/{decision}/document")
    assert download.status_code == 200 and download.content == document("c1", nodes=0, name="web7")
    assert download.headers["content-disposition"].startswith("attachment;")


async def test_other_clusters_pages_404(client):
    c1, c2 = await register(client, "c1"), await register(client, "c2")
    theirs = await _decide(client, c2, nodes=0)
    await log_in(client, c1.token)
    for path in [
        "/ui/clusters/c2",
        "/ui/clusters/c2/groups",
        f"/ui/decisions/{theirs}",
        f"/ui/decisions/{theirs}/document",
    ]:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "FailMem" not in response.text and "node" not in response.text
    assert (await client.get("/ui/clusters/nope")).status_code == 404


async def test_unknown_pages_404_for_admin(client):
    await log_in(client, ADMIN_TOKEN)
    for path in ["/ui/clusters/nope", "/ui/decisions/nope", "/ui/decisions/nope/document"]:
        response = await client.get(path)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"], path


async def test_docs_and_redoc_use_local_assets(client):
    for path, asset in [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]:
        html = (await client.get(path)).text
        assert f"/static/docs/{asset}" in html and "cdn." not in html and "fonts.googleapis" not in html
        assert (await client.get(f"/static/docs/{asset}")).status_code == 200
    assert (await client.get("/static/docs/swagger-ui.css")).status_code == 200
    assert (await client.get("/openapi.json")).json()["paths"].keys().isdisjoint({"/", "/ui/login"})
