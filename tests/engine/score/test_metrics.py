"""hail's cluster score, component by component, on a hand-made 3-node cluster
(ALGORITHM.md section 4). The expected values were also printed by hail's own `hinfo`
for this cluster (`hail -S` state file), to the 8th decimal."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from app.engine.nodeops import add_primary, add_secondary, primary_effect
from app.engine.score.metrics import (
    COMPONENTS,
    ROW,
    STD,
    WEIGHTS,
    Stats,
    component_values,
    map_delta,
    node_fields,
    score_of,
    stats_of,
    update,
)
from app.engine.score.secondary import secondary_effect
from tests.support import docs as d

SCORE_TAGS = ["htools:iextags:svc", "htools:nlocation:rack", "htools:desiredlocation:rack"]


def score_doc(n3: dict[str, Any] | None = None) -> d.Doc:
    """n1 and n2 online (8 GiB, 10000 MiB disk), n3 offline (or as `n3` says); spindle-ratio 2."""
    return d.document(
        {
            "n1": d.node(
                memory=8192, free_memory=4608, disk=10000, free_disk=6000, cpus=4, spindles=2, tags=["rack:a"]
            ),
            "n2": d.node(
                memory=8192, free_memory=4096, disk=10000, free_disk=9000, cpus=8, spindles=4, tags=["rack:a"]
            ),
            "n3": d.node(tags=["rack:a"], **(n3 if n3 is not None else {"offline": True})),
        },  # fmt: skip
        {
            "i1": d.instance(["n1", "n2"], memory=2048, vcpus=2, tags=["svc:a"]),
            "i2": d.instance(["n1"], memory=1024, spindle_use=2, tags=["svc:a", "rack:b"]),
            "i3": d.instance(["n2", "n1"], memory=1024, vcpus=2, admin_state="down", tags=["svc:a"]),
            "i4": d.instance(["n3"], memory=512, tags=["svc:a"]),
            "i5": d.instance(["n3", "n2"], memory=6144),
            "i6": d.instance(["n1", "n3"], memory=512, tags=["svc:b"]),
        },
        groups={d.GROUP: d.group(ipol=d.ipolicy(spindle_ratio=2.0))},
        cluster_tags=SCORE_TAGS,
    )


def components(doc: d.Doc) -> dict[str, float]:
    c = d.cluster_of(doc)
    stats = stats_of(c, d.idx(c))
    return {name: float(np.sqrt(stats.var[k]) if STD[k] else stats.total[k]) for k, name in enumerate(ROW)}


# n1: running primaries i1 2048 + i2 1024 + i6 512 = 3584; free 4608: xMem 0, unallocated 4608
# n2: only primary i3 is down: iMem 0; free 4096: unallocated 4096; fMemForth 4096 - 1024 = 3072
# peers: n1 <- i3 (down still reserves) 1024; n2 <- i1 2048, i5 6144 -> rMem 6144
# P/S counts: n1 P 3 (i1 i2 i6) S 1 (i3); n2 P 1 (i3) S 2 (i1 i5); n3 (offline) P 2 (i4 i5) S 1 (i6)
HAND = {
    # stddev(4608/8192, 4096/8192) = stddev(0.5625, 0.5) = 0.0625 / 2
    "free_mem_cv": 0.03125,
    # stddev(6000/10000, 9000/10000) = 0.3 / 2
    "free_disk_cv": 0.15,
    # n2 fails N+1 (4096 < 6144): P + S = 1 + 2; n1 does not (4608 >= 1024)
    "n1_cnt": 3,
    # stddev(1024/8192, 6144/8192) = (0.75 - 0.125) / 2
    "reserved_mem_cv": 0.3125,
    # n3: P 2 + S 1
    "offline_all_cnt": 3,
    "offline_pri_cnt": 2,
    # stddev((2 + 1 + 1)/4, 2/8) = (1.0 - 0.25) / 2; i3 is down, not offline: its vcpus count
    "vcpu_ratio_cv": 0.375,
    # stddev of primaries (3, 1)
    "cpu_load_cv": 1.0,
    "mem_load_cv": 1.0,
    # stddev of primaries + secondaries (4, 3)
    "disk_load_cv": 0.5,
    "net_load_cv": 1.0,
    # n1 primaries share svc:a twice: 2 - 1
    "pri_tags_score": 1,
    # n1: (1 + 2 + 1 + 1) / (2.0 * 2) = 1.25; n2: (1 + 1 + 1) / (2.0 * 4) = 0.375; stddev 0.875 / 2
    "spindles_cv": 0.4375,
    # stddev(4608/8192, 3072/8192) = (0.5625 - 0.375) / 2
    "free_mem_cv_forth": 0.09375,
    "free_disk_cv_forth": 0.15,
    "vcpu_ratio_cv_forth": 0.375,
    "spindles_cv_forth": 0.4375,
    # all nodes in rack:a. n1: i1 (n1, n2) 1 + i6 (n1, n3) 1 + i2 wants rack:b, unsatisfied 1 = 3;
    # n2: i3 (n2, n1) 1. (n3's i5 is offline.)
    "location_score": 4,
    # (rack:a, svc:a): i1, i2 on n1 + i3 on n2 = 3 -> 2; (rack:a, svc:b): i6 = 1 -> 0.
    # i4 (svc:a) on the offline n3 does not count.
    "location_exclusion_score": 2,
    # 1024/8192 + 6144/8192
    "reserved_mem_rtotal": 0.875,
}
# 0.5*0.03125 + 0.5*0.15 + 3 + 0.3125 + 4*3 + 16*2 + 0.5*0.375 + 1 + 1 + 0.5 + 1 + 2*1
# + 0.5*0.4375 + 0.5*0.09375 + 0.5*0.15 + 0.5*0.375 + 0.5*0.4375 + 4 + 2 + 0.25*0.875
HAND_SCORE = 60.05625


@pytest.mark.parametrize("name", list(HAND))
def test_score_component_hand_computed(name):
    assert components(score_doc())[name] == pytest.approx(HAND[name], abs=1e-12)


def test_score_total_weighted_sum_hand_computed():
    c = d.cluster_of(score_doc())
    assert score_of(c, d.idx(c)) == pytest.approx(HAND_SCORE, abs=1e-9)
    assert sum(comp.weight * HAND[comp.name] for comp in COMPONENTS) == pytest.approx(HAND_SCORE, abs=1e-12)
    assert WEIGHTS.tolist() == [comp.weight for comp in COMPONENTS]


@pytest.mark.parametrize("flags", [{"drained": True}, {"vm_capable": False}])
def test_score_drained_or_not_vm_capable_node_counts_as_offline(flags):
    assert components(score_doc(flags)) == pytest.approx(HAND, abs=1e-12)


def test_score_offline_node_brought_online_joins_online_components():
    # n3 online (16 GiB, no reserved memory reported... and its primaries counted as load)
    values = components(score_doc({"offline": False}))
    assert values["offline_all_cnt"] == values["offline_pri_cnt"] == 0
    # primaries (3, 1, 2): stddev = sqrt(((3-2)^2 + (1-2)^2 + 0) / 3)
    assert values["cpu_load_cv"] == pytest.approx(math.sqrt(2 / 3), abs=1e-12)
    # (rack:a, svc:a) now also has i4: 4 -> 3
    assert values["location_exclusion_score"] == 3


def test_score_no_online_node_is_zero():
    doc = score_doc()
    for n in doc["nodes"].values():
        n["offline"] = True
    c = d.cluster_of(doc)
    assert score_of(c, d.idx(c)) == 0.0
    # only the offline node: also 0, although it holds primaries
    c = d.cluster_of(score_doc())
    assert score_of(c, d.idx(c, "n3")) == 0.0


def test_score_covers_only_the_node_list():
    c = d.cluster_of(score_doc())
    # n1 alone: every stddev is 0; n1_cnt 0, pri_tags 1, location 3, exclusion (svc:a x2) 1,
    # rtotal 0.25 * 1024/8192
    assert score_of(c, d.idx(c, "n1")) == pytest.approx(2 * 1 + 3 + 1 + 0.25 * 0.125, abs=1e-12)


def test_score_exclusive_storage_free_disk_from_spindles():
    doc = d.document(
        {
            "x": d.node(exclusive=True, spindles=10, free_spindles=4, free_disk=100),
            "y": d.node(disk=10000, free_disk=9000),
            "z": d.node(disk=0, free_disk=0),  # no disk at all counts as 100% free
        },
        {"i": d.instance(["x"], spindle_use=7, spindles=2)},
    )
    c = d.cluster_of(doc)
    values = component_values(node_fields(c, d.idx(c)))
    names = [comp.name for comp in COMPONENTS]
    assert values[names.index("free_disk_cv")].tolist() == [0.4, 0.9, 1.0]
    # spindle usage is 0 on exclusive storage (instSpindles is not tracked there)
    assert values[names.index("spindles_cv")].tolist() == [0.0, 0.0, 0.0]


# --- location/exclusion map -------------------------------------------------------------


def test_score_location_exclusion_map_added_over_online_nodes():
    c = d.cluster_of(score_doc())
    stats = stats_of(c, d.idx(c))
    assert stats.loc_excl == {("rack:a", "svc:a"): 3, ("rack:a", "svc:b"): 1}


def test_score_map_delta_known_pair_adds_one_new_pair_adds_nothing():
    c = d.cluster_of(score_doc())
    stats = stats_of(c, d.idx(c))
    on = d.idx(c, "n1", "n2")
    # svc:a: (rack:a, svc:a) already 3 -> 4 adds 1; svc:c: a new pair with count 1 adds 0
    assert map_delta(c, stats, on, ("svc:a",)).tolist() == [1.0, 1.0]
    assert map_delta(c, stats, on, ("svc:c",)).tolist() == [0.0, 0.0]
    assert map_delta(c, stats, on, ("svc:a", "svc:b", "svc:c")).tolist() == [2.0, 2.0]


def test_score_map_delta_matches_recomputation():
    c = d.cluster_of(score_doc())
    spec = d.new_spec(c, tags=["svc:a", "svc:b", "svc:z"])
    idx = d.idx(c)
    stats = stats_of(c, idx)
    n1 = c.node_index["n1"]
    add_primary(c, n1, spec, 0)
    # (rack:a, svc:a) 3 -> 4 and (rack:a, svc:b) 1 -> 2: +2; (rack:a, svc:z) new: +0
    assert stats_of(c, idx).total[18] - stats.total[18] == 2.0


# --- incremental update (hail's updateStatistics) vs recomputation -----------------------
NODE_TAGS = st.lists(st.sampled_from(["rack:1", "rack:2", "pdu:x"]), max_size=2, unique=True)
INST_TAGS = st.lists(st.sampled_from(["svc:a", "svc:b", "rack:1", "web"]), max_size=3, unique=True)


@st.composite
def clusters(draw: st.DrawFn) -> d.Doc:
    """2-5 nodes (at least one online), 0-8 instances of assorted templates, tags."""
    count = draw(st.integers(2, 5))
    names = [f"n{k}" for k in range(count)]
    nodes = {}
    for k, name in enumerate(names):
        memory = draw(st.integers(4096, 32768))
        nodes[name] = d.node(
            memory=memory,
            free_memory=draw(st.integers(512, memory)),
            disk=draw(st.integers(20000, 200000)),
            cpus=draw(st.sampled_from([2, 4, 8, 16])),
            spindles=draw(st.integers(1, 8)),
            offline=k > 0 and draw(st.booleans()),
            exclusive=draw(st.integers(0, 4)) == 0,
            tags=draw(NODE_TAGS),
        )
    instances = {}
    for k in range(draw(st.integers(0, 8))):
        template = draw(st.sampled_from(["drbd", "plain", "diskless", "file"]))
        primary = draw(st.sampled_from(names))
        where = [primary]
        if template == "drbd":
            where.append(draw(st.sampled_from([n for n in names if n != primary])))
        instances[f"i{k}"] = d.instance(
            where,
            memory=draw(st.integers(128, 4096)),
            vcpus=draw(st.integers(1, 4)),
            template=template,
            disks=() if template == "diskless" else (draw(st.integers(512, 8192)),),
            spindles=draw(st.sampled_from([None, 1, 2])),
            admin_state=draw(st.sampled_from(["up", "up", "down", "offline"])),
            tags=draw(INST_TAGS),
        )
    tags = ["htools:iextags:svc", "htools:nlocation:rack", "htools:desiredlocation:rack"]
    return d.document(nodes, instances, cluster_tags=tags)


NEW_FIELDS = st.fixed_dictionaries(
    {
        "memory": st.integers(64, 2048),
        "vcpus": st.integers(1, 4),
        "template": st.sampled_from(["drbd", "plain", "diskless"]),
        "spindles": st.sampled_from([None, 1]),
        "tags": INST_TAGS,
    }
)


def _same_stats(incremental: Stats, exact: Stats) -> bool:
    """Sums and variances within 1e-9; the score within 1e-6, because a variance that should
    be 0 may come out as ~1e-17 and its square root as ~1e-9 (hail computes the same)."""
    tol = 1e-9 * np.maximum(1.0, np.abs(exact.total))
    same = np.all(np.abs(incremental.total[:, 0] - exact.total) <= tol)
    same &= np.all(np.abs(incremental.var[:, 0] - exact.var) <= 1e-9 * np.maximum(1.0, exact.var))
    return bool(same) and abs(float(incremental.score()[0]) - float(exact.score())) <= 1e-6


@settings(max_examples=300, deadline=None)
@given(doc=clusters(), fields=NEW_FIELDS, data=st.data())
def test_score_update_one_node_equals_recomputation(doc, fields, data):
    c = d.cluster_of(doc)
    idx = d.idx(c)
    spec = d.new_spec(c, **fields)
    node = data.draw(st.integers(0, len(c.nodes) - 1))
    at = np.array([node])
    stats = stats_of(c, idx)
    new = component_values(primary_effect(c, at, spec, force=True).fields)
    old = component_values(node_fields(c, at))[:, 0]
    delta = map_delta(c, stats, at, spec.excl_tags)
    online = not c.nodes.offline[node]
    incremental = update(stats, old, new, delta, online=online)
    add_primary(c, node, spec, 0)
    assert _same_stats(incremental, stats_of(c, idx))


@settings(max_examples=300, deadline=None)
@given(doc=clusters(), fields=NEW_FIELDS, data=st.data())
def test_score_update_pair_equals_recomputation(doc, fields, data):
    c = d.cluster_of(doc)
    online = np.flatnonzero(~c.nodes.offline)
    if len(online) < 2:
        return
    p, s = data.draw(st.permutations(online.tolist()))[:2]
    spec = d.new_spec(c, **fields | {"template": "drbd"})
    idx = d.idx(c)
    loc = len(c.nodes.loc_tags[p] & c.nodes.loc_tags[s])
    stats = stats_of(c, idx)
    pri = component_values(primary_effect(c, np.array([p]), spec, True, loc).fields)
    sec = component_values(secondary_effect(c, np.array([p]), np.array([s]), spec, True).fields)
    delta = map_delta(c, stats, np.array([p]), spec.excl_tags)
    after_p = update(stats, component_values(node_fields(c, np.array([p])))[:, 0], pri, delta)
    after_s = update(after_p, component_values(node_fields(c, np.array([s])))[:, 0], sec)
    add_primary(c, p, spec, loc)
    add_secondary(c, s, spec, p)
    assert _same_stats(after_s, stats_of(c, idx))
