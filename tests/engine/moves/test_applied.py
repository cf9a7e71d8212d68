"""A decision applied to the model (app.engine.moves.applied): the state Ganeti is in once it
has done what the answer says. The engine's own score of its answer is the score of that state,
so the two must agree exactly, for every request type."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.cluster import build_cluster
from app.engine import apply_placements, options_from_params, placements, run_request
from app.engine.score.metrics import score_of
from app.protocol import parse_document
from tests.support import docs as d, gen
from tests.support.cluster_spec import ClusterSpec, mixed

BUILDERS = {
    "allocate": lambda doc, rng: gen.allocate_request(doc, rng, "drbd"),
    "multi-allocate": lambda doc, rng: gen.multi_allocate_request(doc, rng, 3),
    "node-evacuate": lambda doc, rng: gen.node_evacuate_request(doc, rng, "all"),
    "change-group": lambda doc, rng: gen.change_group_request(doc, rng, 3),
    "allocate-secondary": gen.allocate_secondary_request,
    "multi-evacuate": gen.multi_evacuate_request,
}


def _decided(doc: d.Doc):
    parsed = parse_document(d.encode(doc))
    opts = options_from_params({})[0]
    c = build_cluster(parsed, opts.static_kvm_node_memory)
    state = c.copy()
    reply = run_request(c, parsed.request, opts)
    done = placements(state, parsed.request, reply)
    apply_placements(state, parsed.request, done)
    return reply, done, state


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_applied_state_scores_as_the_engine_scored_its_answer(kind):
    decided = 0
    for seed in range(12):
        spec = ClusterSpec(nodes=12, groups=2, instances_per_node=4, templates=mixed(plain=0.3))
        rng = random.Random(seed)
        doc = BUILDERS[kind](gen.generate(spec, seed), rng)
        reply, done, state = _decided(doc)
        if not reply.success:
            assert done == []
        if not done:  # failed, or an evacuation that moved nothing
            continue
        assert score_of(state, np.arange(len(state.nodes))) == pytest.approx(reply.score_after, abs=1e-12)
        decided += 1
    assert decided >= 2, kind


def test_allocate_counts_the_new_instance_on_its_nodes():
    nodes = {"n1": d.node(), "n2": d.node()}
    doc = d.document(nodes, {}, d.allocate(memory=1024, disks=[4096], template="drbd"))
    reply, done, state = _decided(doc)
    assert reply.success and done == [("new", reply.result)]
    p, s = (state.node_index[n] for n in reply.result)
    free = nodes["n1"]["free_memory"]
    assert state.nodes.f_mem[p] == free - 1024  # as Ganeti will report it
    assert state.nodes.f_mem[s] == free  # a secondary only reserves memory
    assert state.nodes.r_mem[s] == 1024
    assert "new" in state.instance_index and len(state.instances) == 1


def test_relocate_moves_the_secondary():
    nodes = {n: d.node() for n in ("n1", "n2", "n3")}
    doc = d.document(
        nodes,
        {"i1": d.instance(["n1", "n2"], template="drbd", memory=512)},
        {"type": "relocate", "name": "i1", "required_nodes": 1, "relocate_from": ["n2"]},
    )
    reply, done, state = _decided(doc)
    assert reply.success and done == [("i1", ["n1", "n3"])]
    i = state.instance_index["i1"]
    assert (state.instances.pnode[i], state.instances.snode[i]) == (0, 2)
    assert (state.nodes.s_cnt.tolist(), state.nodes.r_mem.tolist()) == ([0, 0, 1], [0, 0, 512])


def test_failed_answer_places_nothing():
    doc = d.document({"n1": d.node(free_memory=100)}, {}, d.allocate(memory=4096, template="plain"))
    reply, done, state = _decided(doc)
    assert not reply.success and done == [] and len(state.instances) == 0
