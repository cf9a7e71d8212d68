"""`python -m bench.balance [NODES...]`: hbal and `python -m app.cli balance` side by side on the
same generated cluster (18 instances per node, two new empty nodes: a cluster worth balancing);
wall time, peak RSS, moves and final score of each; Markdown on stdout and in bench/results/.

hbal reads the cluster as hail saves it (`hail -S`), as the differential tests do; both run one
after the other, never together (they share the machine's cores with nothing of ours). hbal
is killed after `--hbal-timeout` s (its 40-node plan takes some 500 s, its 100-node one far
longer), and its time is then given as "> T s": a bound on the speed-up; on clusters of more
than 100 nodes it is not run at all. iallocd's plan is cut after 50 s (`--max-seconds`), as the
service cuts one at its request timeout: a row says so when that happened.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import tempfile
from pathlib import Path

from bench.measure import Measured, run_measured
from bench.report import load_average, machine_facts
from tests.support import gen
from tests.support.hbal import HBAL, hbal_available, parse_output, text_state, with_empty_nodes

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
INSTANCES_PER_NODE = 18
TIMEOUT = 1800.0
HBAL_TIMEOUT = 420.0  # three sizes stay under some 20 minutes
HBAL_MAX_NODES = 100  # hbal is not run on larger clusters (hours)
MAX_SECONDS = 50.0  # ours: the plan so far after this long (`--max-seconds`), as a service would answer


def cluster(nodes: int) -> gen.Doc:
    doc = gen.generate(gen.ClusterSpec(nodes=nodes, instances_per_node=INSTANCES_PER_NODE), nodes)
    return with_empty_nodes(doc, 2, random.Random(nodes))


def _row(nodes: int, doc: gen.Doc, hbal: Measured | None, ours: Measured) -> str:
    """One size's cells; `hbal` None: not run (too large to be practical)."""
    plan = json.loads(ours.stdout)["groups"][0] if ours.ok else None
    mine = f"{len(plan['steps'])} moves, {plan['final_score']:.8f}" if plan else "failed"
    if plan is not None and plan["stop"] == "deadline":
        mine += f" (the plan after {MAX_SECONDS:g} s: {plan['initial_score']:.8f} before)"
    size = f"{len(doc['nodes'])} / {len(doc['instances'])}"
    if hbal is None:
        return "| " + " | ".join([size, "-", "not run", "-", _took(ours), mine, "-", "-"]) + " |"
    speed = f"{hbal.seconds / ours.seconds:.1f}x" if ours.ok else "-"
    if hbal.timed_out:
        cells = [size, "-", f"> {hbal.seconds:.0f} s (killed)", "-", _took(ours), mine, "-", "> " + speed]
        return "| " + " | ".join(cells) + " |"
    theirs = parse_output(hbal.stdout.decode(), list(doc["nodes"]), list(doc["instances"]))
    same = plan is not None and [(s["instance"], tuple(s["to"])) for s in plan["steps"]] == [
        (m.instance, m.new_nodes) for m in theirs.moves
    ]
    cells = [
        size,
        f"{theirs.initial:.8f}",
        _took(hbal),
        f"{len(theirs.moves)} moves, {theirs.final:.8f}",
        _took(ours),
        mine,
        "yes" if same else "no",
        speed,
    ]
    return "| " + " | ".join(cells) + " |"


def _took(run: Measured) -> str:
    return f"{run.seconds:.1f} s, {run.max_rss_kib // 1024} MiB"


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(prog="python -m bench.balance")
    args.add_argument("nodes", nargs="*", type=int, default=[20, 40, 100, 500])
    args.add_argument("--hbal-timeout", type=float, default=HBAL_TIMEOUT, help="kill hbal after")
    parsed = args.parse_args(argv)
    sizes = parsed.nodes
    if not hbal_available():
        print("hbal or hail is not installed", file=sys.stderr)
        return 1
    rows = []
    before = load_average()
    for nodes in sizes:
        doc = cluster(nodes)
        with tempfile.TemporaryDirectory(prefix="iallocd-balance-") as tmp:
            path = Path(tmp) / "cluster.json"
            path.write_text(json.dumps(doc))
            hbal = None
            if nodes <= HBAL_MAX_NODES:
                state = text_state(doc, Path(tmp))
                hbal = run_measured([HBAL, "-t", str(state), "-C"], timeout=parsed.hbal_timeout)
            argv = [sys.executable, "-m", "app.cli", "balance", str(path), "--max-seconds", str(MAX_SECONDS)]
            ours = run_measured(argv, timeout=TIMEOUT, cwd=REPO)
        rows.append(_row(nodes, doc, hbal, ours))
        print(rows[-1], file=sys.stderr, flush=True)
    facts = [f"- {key}: {value}" for key, value in machine_facts()]
    header = [
        "| nodes / instances | initial score | hbal | hbal's plan | iallocd | iallocd's plan | same plan "
        "| speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    text = "\n".join(
        [f"# Balancing: hbal and iallocd, {datetime.date.today()}", "", *facts, "",
         f"Load average before: {before}, after: {load_average()}", "", *header, *rows, ""]
    )  # fmt: skip
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{datetime.date.today()}-balance.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
