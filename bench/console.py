"""How fast the operator console's pages load for a fleet: `python -m bench.console` starts the
service on a fresh SQLite file, registers CLUSTERS clusters of NODES nodes, answers one allocation
for each, logs in with the admin token and times the pages (median, min, max of RUNS loads).

A cluster's page comes without the engine's counts the first time a state is shown (its script
fetches them from `/ui/clusters/NAME/groups`, which counts the groups' standard-instance room,
for at most IALLOCD_COUNT_SECONDS); once counted, the page and the counts come from memory.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from tests.support.cluster_spec import ClusterSpec
from tests.support.gen import allocate_request, generate
from tests.support.service import running_service, service_env

ADMIN_TOKEN = "bench-console-admin-token-0123456789"


def _times(client: httpx.Client, path: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return out


def _row(what: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"| {what} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} | {len(ms)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = service_env(database_url=f"sqlite:///{tmp}/db.sqlite", admin_token=ADMIN_TOKEN)
        with running_service(["-m", "app.serve"], env, Path(tmp) / "serve.log", timeout=120) as url:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            with httpx.Client(base_url=url, timeout=120) as client:
                names = []
                for k in range(args.clusters):
                    name = f"c{k:03d}.example.com"
                    spec = ClusterSpec(nodes=args.nodes, groups=2, cluster_name=name)
                    doc = allocate_request(generate(spec, k), random.Random(k))
                    token = client.post("/admin/clusters", json={"name": name}, headers=admin).json()["token"]
                    answer = client.post(
                        "/allocate", content=orjson.dumps(doc), headers={"Authorization": f"Bearer {token}"}
                    )
                    assert answer.status_code == 200, answer.text
                    names.append(name)
                login = client.post(
                    "/ui/login", data={"token": ADMIN_TOKEN, "next": "/"}, headers={"Origin": url}
                )
                assert login.status_code in (200, 303), login.status_code
                print(f"{args.clusters} clusters of {args.nodes} nodes, 2 groups each\n")
                print("| page | median ms | min ms | max ms | loads |\n|---|---|---|---|---|")
                print(_row("`/` (the fleet)", _times(client, "/", args.runs)))
                page = "`/ui/clusters/NAME`"
                first = [_times(client, f"/ui/clusters/{n}", 1)[0] for n in names[: args.runs]]
                print(_row(f"{page} (counts fetched after it)", first))
                counts = [_times(client, f"/ui/clusters/{n}/groups", 1)[0] for n in names[: args.runs]]
                print(_row(f"{page}/groups: the counts, first time for a state", counts))
                print(
                    _row(
                        f"{page}/groups: again", _times(client, f"/ui/clusters/{names[0]}/groups", args.runs)
                    )
                )
                print(_row(f"{page} once counted", _times(client, f"/ui/clusters/{names[0]}", args.runs)))


if __name__ == "__main__":
    main()
