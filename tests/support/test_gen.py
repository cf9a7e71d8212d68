"""The generator: deterministic, internally consistent, and accepted by hail and Ganeti."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import gen
from tests.support.ganeti import SKIP_REASON as GANETI_SKIP, ganeti_available, validate_request
from tests.support.hail import SKIP_REASON as HAIL_SKIP, HailError, call_hail, hail_available

SPECS = {
    "drbd": gen.ClusterSpec(nodes=12, groups=2),
    "mixed": gen.ClusterSpec(nodes=10, groups=1, templates=gen.mixed(0.3), offline=0.1, drained=0.1),
    "features": gen.ClusterSpec(
        nodes=16,
        groups=3,
        templates=gen.mixed(0.2),
        exclusion_tags=True,
        location_tags=True,
        varied_ipolicies=True,
        networks=3,
        last_resort_groups=1,
        non_vm_capable=0.1,
        hypervisor="kvm",
    ),
    "exclusive": gen.ClusterSpec(nodes=8, groups=2, exclusive_storage_groups=1, offline=0.15),
    "failed-node": gen.ClusterSpec(nodes=8, offline=0.2, offline_instances=True, unallocable_groups=0),
}

Builder = Callable[[gen.Doc, random.Random], gen.Doc]
BUILDERS: dict[str, Builder] = {
    "allocate-drbd": lambda d, r: gen.allocate_request(d, r, "drbd"),
    "allocate-plain-group": lambda d, r: gen.allocate_request(d, r, "plain", gen.group_names(d)[-1]),
    "allocate-diskless": lambda d, r: gen.allocate_request(d, r, "diskless"),
    "allocate-file": lambda d, r: gen.allocate_request(d, r, "file"),
    "allocate-ext-restricted": lambda d, r: gen.allocate_request(
        d, r, "ext", restrict_to_nodes=list(d["nodes"])[:3]
    ),
    "multi-allocate": lambda d, r: gen.multi_allocate_request(
        d, r, 3, ("drbd", "plain"), per_entry_groups=True
    ),
    "relocate": gen.relocate_request,
    "node-evacuate": lambda d, r: gen.node_evacuate_request(d, r, r.choice(gen.EVAC_MODES)),
    "change-group": gen.change_group_request,
}


def _doc(name: str, seed: int = 1) -> gen.Doc:
    return gen.generate(SPECS[name], seed)


def _live(doc: gen.Doc) -> dict[str, Any]:
    return {name: n for name, n in doc["nodes"].items() if "total_memory" in n}


def test_generate_same_seed_same_document():
    assert _doc("features", 7) == _doc("features", 7)


def test_generate_other_seed_other_document():
    assert _doc("features", 7) != _doc("features", 8)


def test_builders_same_rng_same_request():
    doc = _doc("features")
    for build in BUILDERS.values():
        assert build(doc, random.Random(3)) == build(doc, random.Random(3))


def test_generate_offline_nodes_without_runtime_data():
    doc = _doc("features")
    for node in doc["nodes"].values():
        live = not node["offline"] and node["vm_capable"]
        assert ("total_memory" in node) == live
        assert ("free_disk" in node) == live


@pytest.mark.parametrize("name", sorted(SPECS))
def test_generate_memory_matches_running_instances(name):
    doc = _doc(name)
    running: dict[str, int] = {}
    total: dict[str, int] = {}
    for inst in doc["instances"].values():
        primary = inst["nodes"][0]
        total[primary] = total.get(primary, 0) + inst["memory"]
        if inst["admin_state"] == "up":
            running[primary] = running.get(primary, 0) + inst["memory"]
    for name, node in _live(doc).items():
        unreported = math.trunc(node["total_memory"]) - node["reserved_memory"] - running.get(name, 0)
        assert 0 <= unreported - node["free_memory"] < 512, name
        assert node["i_pri_memory"] == total.get(name, 0)
        assert node["i_pri_up_memory"] == running.get(name, 0)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_generate_disk_matches_local_instances(name):
    doc = _doc(name)
    used: dict[str, int] = {}
    for inst in doc["instances"].values():
        if inst["disk_template"] in ("plain", "drbd"):
            for node in inst["nodes"]:
                used[node] = used.get(node, 0) + inst["disk_space_total"]
    for name, node in _live(doc).items():
        assert 0 <= node["total_disk"] - node["free_disk"] - used.get(name, 0) < 1024, name
        assert node["free_disk"] > 0


def test_generate_disk_space_total_follows_ganeti():
    doc = _doc("mixed")
    seen = set()
    for inst in doc["instances"].values():
        sizes = [d["size"] for d in inst["disks"]]
        extra = {"drbd": 128 * len(sizes), "diskless": -sum(sizes), "blockdev": -sum(sizes)}
        assert inst["disk_space_total"] == sum(sizes) + extra.get(inst["disk_template"], 0)
        assert all(d["dev_type"] == inst["disk_template"] for d in inst["disks"])
        seen.add(inst["disk_template"])
    assert {"drbd", "plain"} <= seen


def test_generate_drbd_secondary_in_primary_group():
    doc = _doc("features")
    for inst in doc["instances"].values():
        groups = {doc["nodes"][n]["group"] for n in inst["nodes"]}
        assert len(inst["nodes"]) == (2 if inst["disk_template"] == "drbd" else 1)
        assert len(groups) == 1
        assert len(set(inst["nodes"])) == len(inst["nodes"])


def test_generate_offline_nodes_hold_no_instances_by_default():
    for name, held in (("mixed", False), ("failed-node", True)):
        doc = _doc(name)
        offline = {n for n, node in doc["nodes"].items() if node["offline"]}
        used = {n for inst in doc["instances"].values() for n in inst["nodes"]}
        assert bool(offline & used) == held, name


def test_generate_fills_about_half_the_memory():
    doc = gen.generate(gen.ClusterSpec(nodes=200, groups=2, instances_per_node=18), 4)
    live = _live(doc)
    assert 0.85 * 200 * 18 <= len(doc["instances"]) <= 200 * 18
    used = sum(n["i_pri_memory"] for n in live.values()) / sum(n["total_memory"] for n in live.values())
    assert 0.35 < used < 0.65


def test_generate_tags_and_exclusive_storage():
    doc = _doc("features")
    assert doc["cluster_tags"] == ["htools:iextags:svc", "htools:nlocation:rack"]
    assert all(t.startswith("rack:") for n in doc["nodes"].values() for t in n["tags"])
    assert any(t.startswith("svc:") for i in doc["instances"].values() for t in i["tags"])
    exclusive = _doc("exclusive")
    flags = {n["group"]: n["ndparams"]["exclusive_storage"] for n in exclusive["nodes"].values()}
    assert sorted(flags.values()) == [False, True]
    for inst in exclusive["instances"].values():
        es = flags[exclusive["nodes"][inst["nodes"][0]]["group"]]
        assert all((d["spindles"] is not None) == es for d in inst["disks"])


def test_storage_view_reports_what_ganeti_reports():
    doc = _doc("mixed")
    rng = random.Random(2)
    lvm = gen.allocate_request(doc, rng, "plain")["nodes"]
    zero = gen.allocate_request(doc, rng, "rbd")["nodes"]
    files = gen.allocate_request(doc, rng, "file")["nodes"]
    for name in _live(doc):
        assert lvm[name]["free_disk"] == doc["nodes"][name]["free_disk"]
        assert (zero[name]["total_disk"], zero[name]["free_disk"], zero[name]["free_spindles"]) == (0, 0, 0)
        assert 0 < files[name]["free_disk"] <= files[name]["total_disk"] < lvm[name]["total_disk"]


def test_relocate_request_names_secondary_or_primary():
    doc = _doc("mixed")
    for seed in range(20):
        req = gen.relocate_request(doc, random.Random(seed))["request"]
        inst = doc["instances"][req["name"]]
        expected = inst["nodes"][1] if inst["disk_template"] == "drbd" else inst["nodes"][0]
        assert inst["disk_template"] not in ("plain", "file")
        assert req["relocate_from"] == [expected]


@pytest.mark.skipif(not ganeti_available(), reason=GANETI_SKIP)
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_builders_requests_ganeti_would_send(builder):
    doc = _doc("features")
    validate_request(BUILDERS[builder](doc, random.Random(5)))


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=HAIL_SKIP)
@pytest.mark.parametrize("name", sorted(SPECS))
def test_hail_accepts_generated_documents(name):
    doc = _doc(name, seed=11)
    requests = [build(doc, random.Random(k)) for k, build in enumerate(BUILDERS.values())]
    if any(i["disk_template"] == "plain" for i in doc["instances"].values()):
        requests.append(gen.allocate_secondary_request(doc, random.Random(0)))
    for request in requests:
        run = call_hail(request, ["--no-capacity-checks"])
        assert "inconsistent data" not in run.stderr, run.stderr
        assert set(run.response) == {"success", "info", "result"}


@pytest.mark.hail
@pytest.mark.skipif(not hail_available(), reason=HAIL_SKIP)
def test_hail_refuses_multi_evacuate():
    doc = gen.multi_evacuate_request(_doc("drbd"), random.Random(1))
    with pytest.raises(HailError, match="Invalid request type 'multi-evacuate'") as err:
        call_hail(doc)
    assert err.value.returncode == 1
