"""A cluster's state summed up per group (app.cluster.summary): counts from the document,
resources from the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cluster import build_cluster, summarize
from app.protocol import DocumentError, parse_document
from app.protocol.document import ClusterDocument

# shared/ sits beside the repository (here and in CI).
TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "ganeti" / "testdata"


def summarize_document(doc: ClusterDocument):
    return summarize(doc, build_cluster(doc, 0))


def _parsed(nodes: dict, nodegroups: dict, instances: int = 0):
    doc = {
        "version": 2,
        "cluster_name": "c",
        "cluster_tags": [],
        "enabled_hypervisors": ["xen-pvm"],
        "ipolicy": {},
        "nodegroups": nodegroups,
        "nodes": nodes,
        "instances": {},
        "request": {"type": "node-evacuate", "instances": [], "evac_mode": "all"},
    }
    return parse_document(json.dumps(doc).encode())


def _node(group: str, **values):
    live = {
        "total_memory": 100,
        "reserved_memory": 0,
        "free_memory": 60,
        "total_disk": 1000,
        "free_disk": 500,
        "total_cpus": 4,
        "reserved_cpus": 1,
        "i_pri_memory": 0,
        "i_pri_up_memory": 0,
    }
    return {"group": group, "offline": False, "drained": False} | live | values


def _group(name: str) -> dict:
    return {"name": name, "alloc_policy": "preferred"}


def test_summarize_sums_online_nodes_per_group():
    groups = {
        "g1": {"name": "default", "alloc_policy": "preferred"},
        "g2": {"name": "empty", "alloc_policy": "preferred"},
    }
    nodes = {
        "a": _node("g1"),
        "b": _node("g1", free_memory=40, free_disk=100, drained=True),
        "c": _node("g1", offline=True, total_memory=999),
    }
    summary = summarize_document(_parsed(nodes, groups))
    assert (summary.nodes, summary.instances) == (3, 0)
    g1, g2 = summary.groups
    assert (g1.name, g1.alloc_policy, g1.nodes, g1.offline, g1.drained) == ("default", "preferred", 3, 1, 1)
    assert (g1.total_memory, g1.free_memory, g1.total_disk, g1.free_disk) == (200, 100, 2000, 600)
    assert (g2.name, g2.nodes, g2.free_memory) == ("empty", 0, 0)


def test_summarize_reads_integral_float_totals_as_numbers():
    # Ganeti may write node totals as floats (1024.0); they count, not as 0.
    nodes = {"a": _node("g1", total_memory=1024.0, total_disk=2048.0)}
    (group,) = summarize_document(
        _parsed(nodes, {"g1": {"name": "default", "alloc_policy": "preferred"}})
    ).groups
    assert (group.total_memory, group.total_disk) == (1024, 2048)


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no Ganeti testdata at {TESTDATA}")
def test_summarize_ganeti_testdata_counts_every_node():
    checked = 0
    for path in sorted(TESTDATA.glob("*.json")):
        try:
            doc = parse_document(path.read_bytes())
        except DocumentError:
            continue  # testdata that is bad input on purpose
        summary = summarize_document(doc)
        raw = json.loads(path.read_text())
        assert summary.nodes == len(raw["nodes"]) == sum(g.nodes for g in summary.groups), path.name
        free = sum(n.get("free_memory", 0) for n in raw["nodes"].values() if not n["offline"])
        assert sum(g.free_memory for g in summary.groups) == free, path.name
        checked += 1
    assert checked > 10
