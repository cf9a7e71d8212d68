"""The console in a real headless Chromium (Debian's, driven by Playwright) against a real
service fed through /allocate with generated clusters; every request outside the service is
aborted and recorded, so the pages are shown to work offline. Screenshots go to tests/artefacts/
(docs/console.png is a copy of fleet.png)."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.api.console.charts import mib
from tests.support.cluster_spec import ClusterSpec, mixed
from tests.support.gen import allocate_request, generate
from tests.support.replay import placed
from tests.support.service import REPO, running_service, service_env

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip .[test])")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (tests/support/install-deps.sh installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow
ADMIN_TOKEN = "admin-token-for-browser-tests-0123"
NEVER_ASKED = "delta.example.com"  # registered, no request yet
ARTEFACTS = REPO / "tests" / "artefacts"
SPECS = [
    ClusterSpec(nodes=24, groups=2, cluster_name="alpha.example.com"),
    ClusterSpec(nodes=40, groups=3, templates=mixed(), cluster_name="beta.example.com", drained=0.05),
    ClusterSpec(nodes=12, groups=1, offline=0.1, cluster_name="gamma.example.com", fill=0.8),
]


@dataclass
class Fleet:
    url: str
    tokens: dict[str, str]
    docs: dict[str, dict[str, Any]]  # the last document posted per cluster
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)  # cluster: (decision id, info)
    failed_docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # their documents


def _post(client: httpx.Client, doc: dict[str, Any], token: str) -> tuple[str, dict[str, Any]]:
    response = client.post(
        "/allocate", content=json.dumps(doc), headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.headers["X-Iallocd-Decision-Id"], response.json()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("console")
    env = service_env(
        database_url=f"sqlite:///{tmp}/db.sqlite",
        admin_token=ADMIN_TOKEN,
        engine_workers="1",
        count_seconds="30",
    )
    with running_service(["-m", "app.serve"], env, tmp / "serve.log") as url:
        found = Fleet(url, {}, {})
        with httpx.Client(base_url=url) as client:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            for seed, spec in enumerate(SPECS):
                name = spec.cluster_name
                made = client.post("/admin/clusters", json={"name": name}, headers=admin)
                found.tokens[name] = made.json()["token"]
                rng = random.Random(seed)
                base = generate(spec, seed)
                for _ in range(3):
                    doc = allocate_request(base, rng)
                    _, answer = _post(client, doc, found.tokens[name])
                last = doc  # the state: the last document with its decision applied
                if answer["success"]:
                    last = placed(doc, doc["request"]["name"], doc["request"], answer["result"])
                if name != "alpha.example.com":  # an instance no node can hold: a failure
                    huge = allocate_request(base, rng)
                    huge["request"] = huge["request"] | {"memory": 64 * 1024 * 1024}
                    decision, answer = _post(client, huge, found.tokens[name])
                    assert answer["success"] is False
                    last = huge  # nothing to apply
                    found.failures[name] = (decision, answer["info"])
                    found.failed_docs[name] = huge
                found.docs[name] = last
            client.post("/admin/clusters", json={"name": NEVER_ASKED}, headers=admin)
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTEFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, fleet: Fleet) -> Iterator[Any]:
    """A fresh browser context whose requests anywhere but the service are aborted (and kept)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    own = urlsplit(fleet.url).netloc
    outside: list[str] = []

    def only_the_service(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    tab = context.new_page()
    yield tab
    context.close()
    assert outside == [], f"requests left the service: {outside}"


def _log_in(page: Any, fleet: Fleet, token: str) -> None:
    page.goto(fleet.url + "/")
    assert "/ui/login" in page.url
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(fleet.url + "/")


def _counted(page: Any) -> None:
    """Wait until the cluster page's script has put the engine's counts in."""
    page.wait_for_selector("#groups-box:not([data-report])", state="attached")


def _free_memory(doc: dict[str, Any], group_uuid: str) -> int:
    return sum(
        int(n["free_memory"]) for n in doc["nodes"].values() if n["group"] == group_uuid and not n["offline"]
    )


def test_admin_fleet_cluster_decision(page: Any, fleet: Fleet) -> None:
    _log_in(page, fleet, ADMIN_TOKEN)
    rows = page.locator("#fleet tbody tr")
    assert rows.count() == len(SPECS) + 1
    idle = page.locator("#fleet tbody tr", has_text=NEVER_ASKED)
    assert idle.locator("td").nth(1).inner_text() == "never stale"
    for spec in SPECS:
        row = page.locator("#fleet tbody tr", has_text=spec.cluster_name)
        cells = row.locator("td")
        assert cells.nth(2).inner_text() == str(spec.nodes)
        assert cells.nth(3).inner_text() == str(len(fleet.docs[spec.cluster_name]["instances"]))
        assert cells.nth(4).inner_text() == str(spec.groups)
        assert cells.nth(9).inner_text() == ("3" if spec.cluster_name == "alpha.example.com" else "4")
        assert cells.nth(8).inner_text().isdigit()  # N+1 failing nodes
    beta_row = page.locator("#fleet tbody tr", has_text="beta.example.com")
    assert beta_row.locator("td").nth(10).inner_text() == "1"
    assert fleet.failures["beta.example.com"][1][:40] in beta_row.locator("td").nth(11).inner_text()
    main = page.locator("main").bounding_box()
    page.screenshot(
        path=str(ARTEFACTS / "fleet.png"), clip={"x": 0, "y": 0, "width": 1440, "height": main["height"] + 50}
    )

    page.click("#fleet thead th:nth-child(3)")  # Nodes, ascending
    names = page.locator("#fleet tbody tr td:first-child").all_inner_texts()
    assert names == [NEVER_ASKED, "gamma.example.com", "alpha.example.com", "beta.example.com"]
    page.fill("input.filter", "beta")
    assert page.locator("#fleet tbody tr:visible").count() == 1

    page.click("text=beta.example.com")
    page.wait_for_url("**/ui/clusters/beta.example.com")
    _counted(page)
    doc = fleet.docs["beta.example.com"]
    groups = page.locator("#groups section.group")
    assert groups.count() == len(doc["nodegroups"])
    for uuid, group in doc["nodegroups"].items():
        card = page.locator(f"#groups section[data-group='{group['name']}']")
        nodes = sum(1 for n in doc["nodes"].values() if n["group"] == uuid)
        assert card.locator(".nodes").inner_text() == str(nodes)
        assert card.locator(".free-memory").inner_text() == mib(_free_memory(doc, uuid))
        assert card.locator(".standard .room").count() == 1
    assert page.locator("svg.chart rect.failed").count() == 1
    assert page.locator("svg.lines polyline.memory").count() == 1
    page.wait_for_selector("#balance-box:not([data-report])", state="attached", timeout=60_000)
    assert page.locator("#balance tbody tr").count() == len(doc["nodegroups"])
    page.screenshot(path=str(ARTEFACTS / "cluster.png"), full_page=True)

    decision, info = fleet.failures["beta.example.com"]
    page.click(f"a[href='/ui/decisions/{decision}']")
    page.wait_for_url(f"**/ui/decisions/{decision}")
    assert page.locator("pre.info-text").inner_text() == info
    assert page.locator(".badge.failed").count() == 1
    _explain_again(page, fleet, "beta.example.com", decision)
    page.screenshot(path=str(ARTEFACTS / "decision.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=download")
    path = download.value.path()
    assert json.loads(Path(path).read_text())["request"]["memory"] == 64 * 1024 * 1024


def _explain_again(page: Any, fleet: Fleet, name: str, decision: str) -> None:
    """Re-run explain from the decision page: the counts shown are the explain API's."""
    page.click("form.rerun button")
    page.wait_for_url(f"**/ui/decisions/{decision}/explain")
    doc = fleet.failed_docs[name]
    response = httpx.post(
        f"{fleet.url}/clusters/{name}/explain",
        content=json.dumps(doc),
        headers={"Authorization": f"Bearer {fleet.tokens[name]}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    nodes = response.json()["rejected"][doc["request"]["name"]]["nodes"]
    code, count = Counter(r["code"] for r in nodes.values() if r["code"]).most_common(1)[0]
    assert page.locator(f"table.counts tr[data-code='{code}'] td.count").inner_text() == str(count)
    assert page.locator("form.rerun button").inner_text() == "Re-run explain"


def test_cluster_page_balancing_card_shows_the_api_plan(page: Any, fleet: Fleet) -> None:
    name = "gamma.example.com"
    _log_in(page, fleet, fleet.tokens[name])
    page.goto(f"{fleet.url}/ui/clusters/{name}")
    page.wait_for_selector("#balance-box:not([data-report])", state="attached")
    headers = {"Authorization": f"Bearer {fleet.tokens[name]}"}
    plan = httpx.post(f"{fleet.url}/clusters/{name}/balance", headers=headers, timeout=60).json()
    (group,) = plan["groups"]
    row = page.locator("#balance tbody tr")
    assert row.count() == 1
    assert row.locator(".score-now").inner_text() == f"{group['initial_score']:.4f}"
    assert row.locator(".score-after").inner_text() == f"{group['final_score']:.4f}"
    assert row.locator(".moves").inner_text() == str(len(group["steps"]))
    page.locator("#balance-box").screenshot(path=str(ARTEFACTS / "cluster-balance.png"))


def test_cluster_token_sees_only_its_cluster(page: Any, fleet: Fleet) -> None:
    _log_in(page, fleet, fleet.tokens["alpha.example.com"])
    assert page.locator("#fleet tbody tr td:first-child").all_inner_texts() == ["alpha.example.com"]
    assert page.locator("header .who").inner_text() == "cluster alpha.example.com"
    for path in ["/ui/clusters/beta.example.com", f"/ui/decisions/{fleet.failures['beta.example.com'][0]}"]:
        response = page.goto(fleet.url + path)
        assert response.status == 404
        assert "FailMem" not in page.content() and "node" not in page.locator("main").inner_text()
    page.screenshot(path=str(ARTEFACTS / "not-found.png"))
    page.goto(fleet.url + "/")
    page.click("text=Log out")
    page.wait_for_url("**/ui/login")
    page.goto(fleet.url + "/ui/clusters/alpha.example.com")
    assert "/ui/login" in page.url


def test_bad_token_stays_on_login(page: Any, fleet: Fleet) -> None:
    page.goto(fleet.url + "/ui/login")
    page.fill("#token", "iad_wrong")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "Unknown token."
    page.screenshot(path=str(ARTEFACTS / "login.png"))


def test_swagger_ui_offline(page: Any, fleet: Fleet) -> None:
    page.goto(fleet.url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "iallocd" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 5
    page.screenshot(path=str(ARTEFACTS / "docs.png"))
    page.goto(fleet.url + "/redoc")
    page.wait_for_selector("h1")
    assert "iallocd" in page.locator("h1").first.inner_text()


def test_cluster_page_room_falls_by_each_placed_instance(page: Any, fleet: Fleet) -> None:
    """Fill a cluster through /allocate with its groups' standard instance: after each placement
    the page's room for it is one less, and the typed-shape form counts too."""
    name = "gamma.example.com"
    doc = fleet.docs[name]
    (uuid,) = doc["nodegroups"]
    std = doc["nodegroups"][uuid]["ipolicy"]["std"]
    allowed = doc["nodegroups"][uuid]["ipolicy"]["disk-templates"]
    template = next(t for t in ("drbd", "plain", *allowed) if t in allowed)  # as the engine picks it
    _log_in(page, fleet, fleet.tokens[name])
    rooms = []
    with httpx.Client(base_url=fleet.url) as client:
        for k in range(3):
            page.goto(f"{fleet.url}/ui/clusters/{name}")
            _counted(page)
            rooms.append(int(page.locator(".standard .room").inner_text()))
            request = {
                "type": "allocate",
                "name": f"std-{k}.example.com",
                "memory": std["memory-size"],
                "vcpus": std["cpu-count"],
                "disk_template": template,
                "disks": [{"size": std["disk-size"], "mode": "rw"}] * std["disk-count"],
                "spindle_use": std["spindle-use"],
                "nics": [],
                "tags": [],
            }
            request["disk_space_total"] = std["disk-size"] * std["disk-count"] + (
                128 * std["disk-count"] if template == "drbd" else 0
            )
            request["required_nodes"] = 2 if template == "drbd" else 1
            _, answer = _post(client, doc | {"request": request}, fleet.tokens[name])
            assert answer["success"], answer
            doc = placed(doc, request["name"], request, answer["result"])
    page.goto(f"{fleet.url}/ui/clusters/{name}?wait=true")  # as without scripts: counted before answering
    rooms.append(int(page.locator(".standard .room").inner_text()))
    assert rooms == [rooms[0] - k for k in range(4)] and rooms[-1] >= 0, rooms
    # the standard instance typed in: the same count, over the cluster's one group
    page.fill("input[name=memory]", str(std["memory-size"]))
    page.fill("input[name=vcpus]", str(std["cpu-count"]))
    page.fill("input[name=disk]", str(std["disk-size"]))
    page.select_option("select[name=disk_template]", template)
    page.click("form.shape button")
    page.wait_for_url(f"**memory={std['memory-size']}**")
    _counted(page)
    assert int(page.locator("#probe .room").inner_text()) == rooms[-1]
    page.screenshot(path=str(ARTEFACTS / "cluster-room.png"), full_page=True)
