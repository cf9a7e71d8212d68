"""Running a list of evacuations (app.engine.moves.evacplan): hail's single pass, the retry of
failures once the others moved, the biggest-first order only when it moves a superset,
and the answer's shape. The step here is a stand-in with scripted outcomes."""

from __future__ import annotations

from app.cluster.model import Cluster
from app.engine.moves.evacplan import evacuate_list, evacuation_reply, size_order
from app.engine.moves.evacuate import Evacuation, Move
from tests.support import docs as d

NODES = {"n1": d.node(), "n2": d.node(), "n3": d.node()}
INSTANCES = {  # memory 1024 (a), 4096 (b), 2048 (c): biggest first is b, c, a
    "a": d.instance(["n1"], template="rbd", memory=1024),
    "b": d.instance(["n1"], template="rbd", memory=4096),
    "c": d.instance(["n1"], template="rbd", memory=2048),
}


def _cluster() -> Cluster:
    return d.cluster_of(d.document(NODES, INSTANCES))


class Scripted:
    """Moves an instance to n2 unless `blocks(instance, moved so far in this cluster)`."""

    def __init__(self, blocks):
        self.blocks = blocks
        self.moved: dict[int, list[str]] = {}  # per simulated cluster, as the real state is

    def __call__(self, c: Cluster, i: int) -> Evacuation:
        name, moved = c.instances.names[i], self.moved.setdefault(id(c), [])
        if self.blocks(name, moved):
            return Evacuation(error=f"{name} blocked")
        moved.append(name)
        return Evacuation([Move("failover_to_any", c.node_index["n2"])])


def test_size_order_biggest_memory_first_request_order_among_equals():
    c = _cluster()
    assert [c.instances.names[i] for i in size_order(c, [0, 1, 2])] == ["b", "c", "a"]


def test_single_pass_when_everything_moves():
    c = _cluster()
    plan = evacuate_list(c, [0, 1, 2], Scripted(lambda name, moved: False))
    assert [i for i, _ in plan.moved] == [0, 1, 2] and not plan.retried and not plan.reordered


def test_failure_retried_after_the_others_and_its_job_waits_for_them():
    c = _cluster()
    step = Scripted(lambda name, moved: name == "a" and "c" not in moved)
    plan = evacuate_list(c, [0, 1, 2], step)
    assert [c.instances.names[i] for i, _ in plan.moved] == ["b", "c", "a"]
    assert plan.retried == [0]
    reply = evacuation_reply(0.0, plan, [0, 1, 2])
    moved, failed, jobs = reply.result  # type: ignore[misc]
    assert failed == []
    assert jobs[2][0]["depends"] == [[-1, ["success"]], [-2, ["success"]]]
    assert "depends" not in jobs[0][0]
    assert reply.info.endswith("retried by iallocd (jobs wait for them): a")


def test_biggest_first_kept_only_when_it_moves_everything_request_order_moved_and_more():
    # request order: a then b, but b needs a not moved (a in the way); biggest first moves b then a
    c = _cluster()
    plan = evacuate_list(c, [0, 1], Scripted(lambda name, moved: name == "b" and "a" in moved))
    assert plan.reordered and [c.instances.names[i] for i, _ in plan.moved] == ["b", "a"]


def test_biggest_first_dropped_when_it_loses_an_instance_request_order_moved():
    # request order moves a (b fails); biggest first moves b but then not a: not a superset
    c = _cluster()
    plan = evacuate_list(c, [0, 1], Scripted(lambda name, moved: bool(moved)))
    assert not plan.reordered
    assert [c.instances.names[i] for i, _ in plan.moved] == ["a"]
    assert [c.instances.names[i] for i in plan.failed] == ["b"]


def test_refusals_are_neither_retried_nor_reordered():
    c = _cluster()
    calls: list[str] = []

    def step(cl: Cluster, i: int) -> Evacuation:
        calls.append(cl.instances.names[i])
        return Evacuation(error="refused", retry=False)

    plan = evacuate_list(c, [0, 1], step)
    assert calls == ["a", "b"] and not plan.moved
