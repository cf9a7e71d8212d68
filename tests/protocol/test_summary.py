"""The last-known-state summary of a request document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.protocol import DocumentError, parse_document
from app.protocol.summary import summarize, summarize_document

# shared/ sits beside the repository (here and in CI).
TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "ganeti" / "testdata"


def test_summarize_sums_online_nodes_per_group():
    doc = {
        "nodegroups": {"g1": {"name": "default", "alloc_policy": "preferred"}, "g2": {"name": "empty"}},
        "nodes": {
            "a": {
                "group": "g1",
                "total_memory": 100,
                "free_memory": 60,
                "total_disk": 1000,
                "free_disk": 500,
            },
            "b": {
                "group": "g1",
                "total_memory": 100,
                "free_memory": 40,
                "total_disk": 1000,
                "free_disk": 100,
                "drained": True,
            },
            "c": {"group": "g1", "offline": True, "total_memory": 999},
        },
        "instances": {"i1": {}},
    }
    summary = summarize(doc)
    assert (summary.nodes, summary.instances) == (3, 1)
    g1, g2 = summary.groups
    assert (g1.name, g1.alloc_policy, g1.nodes, g1.offline, g1.drained) == ("default", "preferred", 3, 1, 1)
    assert (g1.total_memory, g1.free_memory, g1.total_disk, g1.free_disk) == (200, 100, 2000, 600)
    assert (g2.name, g2.nodes, g2.free_memory) == ("empty", 0, 0)


def test_summarize_tolerates_odd_shapes():
    summary = summarize(
        {"nodes": {"a": {"group": "gx", "free_memory": "lots", "total_memory": True}}, "nodegroups": []}
    )
    assert summary.groups[0].name == "gx" and summary.groups[0].free_memory == 0
    assert summarize([]).nodes == 0


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no Ganeti testdata at {TESTDATA}")
def test_summarize_ganeti_testdata_counts_every_node():
    for path in sorted(TESTDATA.glob("*.json")):
        doc = json.loads(path.read_text())
        summary = summarize(doc)
        assert summary.nodes == len(doc["nodes"]) == sum(g.nodes for g in summary.groups), path.name


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no Ganeti testdata at {TESTDATA}")
def test_summarize_document_equals_summary_of_the_raw_json():
    checked = 0
    for path in sorted(TESTDATA.glob("*.json")):
        try:
            doc = parse_document(path.read_bytes())
        except DocumentError:
            continue  # testdata that is bad input on purpose
        assert summarize_document(doc) == summarize(json.loads(path.read_text())), path.name
        checked += 1
    assert checked > 10
