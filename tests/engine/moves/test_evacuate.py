"""One instance's evacuation (app.engine.moves.evacuate): a failed evacuation leaves the cluster
exactly as it was, also after the first failover of an offline primary was undone; the
evacuated set is hail's."""

from __future__ import annotations

import numpy as np

from app.cluster.model import Cluster
from app.engine.moves.evacuate import available, evacuate_one, excluded_nodes
from tests.support import docs as d


def _same(a: Cluster, b: Cluster) -> None:
    for name, value in vars(a.nodes).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(b.nodes, name), value, err_msg=name)
    assert a.nodes.peers == b.nodes.peers
    np.testing.assert_array_equal(a.instances.pnode, b.instances.pnode)
    np.testing.assert_array_equal(a.instances.snode, b.instances.snode)
    np.testing.assert_array_equal(a.instances.loc_score, b.instances.loc_score)


def test_failed_all_mode_undoes_the_first_failover():
    # n1 offline: the instance fails over to n2 first; n3 has no disk for any pair
    nodes = {
        "n1": d.node(offline=True),
        "n2": d.node(),
        "n3": d.node(free_disk=10),
        "n4": d.node(free_disk=10),
    }
    c = d.cluster_of(d.document(nodes, {"i1": d.instance(["n1", "n2"])}))
    before = c.copy()
    ev = evacuate_one(c, 0, "all", 0, d.idx(c, "n3", "n4"), False)
    assert ev.error.startswith("Can't find any good nodes for relocation: Allocation failed: ")
    _same(before, c)


def test_failed_single_target_search_leaves_the_cluster_alone():
    nodes = {"n1": d.node(), "n2": d.node(), "n3": d.node(free_disk=10)}
    c = d.cluster_of(d.document(nodes, {"i1": d.instance(["n1", "n2"])}))
    before = c.copy()
    assert not evacuate_one(c, 0, "secondary-only", 0, d.idx(c, "n3"), False).ok
    _same(before, c)


def test_excluded_nodes_per_mode_include_every_offline_node():
    nodes = {"n1": d.node(), "n2": d.node(), "n3": d.node(), "n4": d.node(drained=True)}
    insts = {"i1": d.instance(["n1", "n2"]), "s": d.instance(["n3"], template="rbd")}
    c = d.cluster_of(d.document(nodes, insts))

    def names(nodes: set[int] | np.ndarray) -> list[str]:
        return sorted(c.nodes.names[n] for n in nodes)

    assert names(excluded_nodes(c, [0, 1], "primary-only")) == ["n1", "n3", "n4"]
    assert names(excluded_nodes(c, [0, 1], "secondary-only")) == ["n2", "n4"]
    assert names(excluded_nodes(c, [0, 1], "all")) == ["n1", "n2", "n3", "n4"]
    assert names(available(c, 0, excluded_nodes(c, [0], "secondary-only"))) == ["n1", "n3"]


def test_drbd_instance_without_secondary_is_refused_not_moved():
    nodes = {"n1": d.node(), "n2": d.node(), "n3": d.node()}
    c = d.cluster_of(d.document(nodes, {"i1": d.instance(["n1"], template="drbd")}))
    for mode in ("primary-only", "secondary-only", "all"):
        ev = evacuate_one(c, 0, mode, 0, d.idx(c, "n2", "n3"), False)
        assert (ev.error, ev.retry) == ("DRBD instance i1 has no secondary node", False)
