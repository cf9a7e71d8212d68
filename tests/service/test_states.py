"""The parsed kept states an engine process remembers: looked up by the state's identity only,
a copy handed out each time, and the bound held."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest

from app.service import states
from app.service.answer import WrongCluster
from app.service.jobs import (
    Afterwards,
    CapacityJob,
    ExplainJob,
    GroupsJob,
    InstanceProbe,
    Job,
    Reported,
    execute,
)
from app.service.params import engine_options
from app.service.states import StateCache, state_of
from app.service.upload import KeptDocument, Upload
from tests.support import docs as d

OPTIONS = engine_options([], [])[0]
CLUSTER = "cluster.example.com"  # the name tests.support.docs documents carry


def _kept(doc: d.Doc, key: str) -> KeptDocument:
    data = d.encode(doc)
    return KeptDocument(zlib.compress(data), len(data), key)


def _nodes(count: int) -> d.Doc:
    return d.document({f"n{i}": d.node() for i in range(count)})


@pytest.fixture
def cache() -> Iterator[None]:
    states.configure(1 << 20)
    yield
    states.configure(0)


def test_kept_state_parsed_once_then_a_copy_each_time(cache):
    kept = _kept(_nodes(3), "d1")
    doc, c = state_of(kept, (), OPTIONS, CLUSTER, None)
    c.nodes.f_mem[0] = 0  # a job may change its model
    # the same key with unreadable bytes: served from the cache, unchanged by the job
    again, c2 = state_of(KeptDocument(b"not zlib", kept.size, "d1"), (), OPTIONS, CLUSTER, None)
    assert again is doc and c2 is not c and c2.nodes.f_mem[0] != 0


def test_new_decision_is_a_new_state_never_the_old_one(cache):
    state_of(_kept(_nodes(3), "d1"), (), OPTIONS, CLUSTER, None)
    doc, c = state_of(_kept(_nodes(5), "d2"), (), OPTIONS, CLUSTER, None)
    assert len(doc.nodes) == 5 and len(c.node_index) == 5


def test_placements_applied_and_plain_document_kept_apart(cache):
    kept = _kept(d.document({"n0": d.node(), "n1": d.node()}, request=d.allocate(name="new")), "d1")
    plain = state_of(kept, (), OPTIONS, CLUSTER, None)[1]
    done = state_of(kept, (("new", ["n0"]),), OPTIONS, CLUSTER, None)[1]
    assert done.nodes.f_mem[0] < plain.nodes.f_mem[0] and len(done.instances) == len(plain.instances) + 1


def test_cluster_checked_on_a_hit_too(cache):
    kept = _kept(_nodes(1), "d1")
    state_of(kept, (), OPTIONS, CLUSTER, None)
    with pytest.raises(WrongCluster):
        state_of(kept, (), OPTIONS, "other.example.com", None)


def test_uploads_and_unnamed_documents_always_parsed(cache):
    data = d.encode(_nodes(2))
    for document in (Upload(data, False, 1 << 20), KeptDocument(zlib.compress(data), len(data))):
        state_of(document, (), OPTIONS, CLUSTER, None)
    assert len(states._cache) == 0


def test_bound_holds_least_recently_used_go_first():
    cache = StateCache(100)
    for key in "abc":
        cache.put(key, states.State(None, None), 40)  # type: ignore[arg-type]
        assert cache.held <= 100
    assert cache.get("a") is None and cache.get("b") is not None and len(cache) == 2
    cache.put("d", states.State(None, None), 40)  # type: ignore[arg-type]
    assert cache.get("c") is None and cache.get("b") is not None and cache.held == 80
    cache.put("huge", states.State(None, None), 101)  # type: ignore[arg-type]
    assert cache.get("huge") is None and cache.held == 80


def test_jobs_on_a_cached_state_answer_as_on_a_fresh_parse(cache):
    nodes = {f"n{i}": d.node() for i in range(4)}
    instances = {"i1": d.instance(["n0", "n1"], template="drbd", memory=2048)}
    doc = d.document(nodes, instances, request=d.allocate(template="drbd", memory=1024))
    probe = InstanceProbe(1024, 1, "drbd", ((1024, None),))

    def jobs(kept: KeptDocument) -> list[Job[Reported]]:
        return [
            CapacityJob(kept, CLUSTER, (("new", ["n2", "n3"]),), probe, (), (), 20, 10.0),
            GroupsJob(kept, (("new", ["n2", "n3"]),), (), (), 20, 10.0, probe),
            ExplainJob(kept, CLUSTER, (), (), 3),
        ]

    def bodies(kept: KeptDocument) -> list[object]:
        results = [execute(job, Afterwards()) for job in jobs(kept)]
        assert all(isinstance(r, Reported) for r in results), results
        return [r.body for r in results if isinstance(r, Reported)]

    fresh = bodies(_kept(doc, ""))
    assert bodies(_kept(doc, "d1")) == fresh  # parsed, then kept
    assert bodies(_kept(doc, "d1")) == fresh  # from the cache, twice over: no job changed it
    assert len(states._cache) == 2  # with the placements, and without
