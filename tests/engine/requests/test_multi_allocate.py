"""The `multi-allocate` request (ALGORITHM.md 5.6), where iallocd differs from hail on
purpose (section 9.8): each entry's own `group_name` is honoured, what fits is placed, the
failed list holds plain instance names and the reasons go to `info`. When every entry
fits and no entry names a group, the answer is hail's, byte for byte."""

from __future__ import annotations

from tests.support import docs as d

GROUPS = {"uuid-one": d.group("one"), "uuid-two": d.group("two")}


def _grouped(*entries: d.Doc, group_name: str | None = None) -> d.Doc:
    """a1, a2 in group one (empty); b1, b2 in group two (each runs one instance)."""
    return d.document(
        {
            "a1": d.node(group="uuid-one"),
            "a2": d.node(group="uuid-one"),
            "b1": d.node(group="uuid-two"),
            "b2": d.node(group="uuid-two"),
        },
        {"i1": d.instance(["b1"]), "i2": d.instance(["b2"])},
        request=d.multi_allocate(*entries, group_name=group_name),
        groups=GROUPS,
    )


def test_multi_allocate_all_fit_same_as_hail():
    out = d.run(_grouped(d.entry("x"), d.entry("y", template="drbd")))
    assert out == {
        "success": True,
        "info": "Request successful: 0 instances failed to allocate and 2 were allocated successfully",
        "result": [[["x", ["a2"]], ["y", ["a1", "a2"]]], []],
    }


def test_multi_allocate_earlier_placements_count_for_later_ones():
    # x goes to a2 (the later of two equal nodes); y then finds a2 busier and takes a1
    out = d.run(_grouped(d.entry("x"), d.entry("y")))
    assert out["result"] == [[["x", ["a2"]], ["y", ["a1"]]], []]


def test_multi_allocate_memory_used_by_earlier_entry_not_available():
    # one node with 5000 MiB: the first 3000 MiB entry fits, the second does not
    doc = d.document(
        {"n1": d.node(free_memory=5000)},
        request=d.multi_allocate(d.entry("x", memory=3000), d.entry("y", memory=3000)),
    )
    out = d.run(doc, "--no-capacity-checks")
    assert out["success"] is True
    assert out["result"] == [[["x", ["n1"]]], ["y"]]
    assert out["info"] == (
        "Request successful: 1 instances failed to allocate and 1 were allocated successfully "
        "(y: Group default (preferred): No valid allocation solutions, failure reasons: FailMem: 1 "
        "[why: group default: 1 nodes tried; as primary, failed on 1 memory (incl. N+1 reservation)])"
    )


def test_multi_allocate_places_what_fits_failed_names_plain():
    # hail fails the whole request when one entry fits nowhere; iallocd places the others
    out = d.run(_grouped(d.entry("big", memory=65536), d.entry("x"), d.entry("huge", memory=99999)))
    assert out["success"] is True
    assert out["result"] == [[["x", ["a2"]]], ["big", "huge"]]
    assert out["info"].startswith(
        "Request successful: 2 instances failed to allocate and 1 were allocated successfully (big: "
    )
    assert (
        "; huge: Group one (preferred): No valid allocation solutions, failure reasons: FailMem: 2"
        in (out["info"])
    )


def test_multi_allocate_nothing_placed_fails():
    out = d.run(_grouped(d.entry("big", memory=65536), d.entry("huge", memory=99999)))
    assert out["success"] is False
    assert out["result"] == []
    assert out["info"].startswith(
        "Request failed: 2 instances failed to allocate and 0 were allocated successfully (big: Group one "
    )


def test_multi_allocate_entry_group_name_honoured():
    # alone, x would go to the empty group one; its own group_name sends it to two
    out = d.run(_grouped(d.entry("x", group_name="two"), d.entry("y")))
    assert out["result"] == [[["x", ["b2"]], ["y", ["a2"]]], []]


def test_multi_allocate_entry_group_name_by_uuid_honoured():
    out = d.run(_grouped(d.entry("x", group_name="uuid-two")))
    assert out["result"] == [[["x", ["b2"]]], []]


def test_multi_allocate_request_group_name_used_when_entry_has_none():
    out = d.run(_grouped(d.entry("x"), d.entry("y", group_name="one"), group_name="two"))
    assert out["result"] == [[["x", ["b2"]], ["y", ["a2"]]], []]


def test_multi_allocate_unknown_group_only_that_entry_fails():
    out = d.run(_grouped(d.entry("x", group_name="nope"), d.entry("y")))
    assert out["result"] == [[["y", ["a2"]]], ["x"]]
    assert "(x: Wrong number of elems found with name nope)" in out["info"]


def test_multi_allocate_entry_restriction_and_option_wins():
    doc = _grouped(d.entry("x", restrict=["a1"]), d.entry("y", restrict=["b1"]))
    assert d.run(doc)["result"] == [[["x", ["a1"]], ["y", ["b1"]]], []]
    out = d.run(doc, "--restrict-allocation-to=a2")
    assert out["result"] == [[["x", ["a2"]], ["y", ["a2"]]], []]


def test_multi_allocate_network_requirement_per_entry():
    groups = {"uuid-one": d.group("one", networks=["net-a"]), "uuid-two": d.group("two", networks=["net-b"])}
    doc = _grouped(
        d.entry("x", networks=["net-b"]), d.entry("y", networks=["net-a"]), d.entry("z", networks=["c"])
    )
    doc["nodegroups"] = groups
    out = d.run(doc)
    assert out["result"] == [[["x", ["b2"]], ["y", ["a2"]]], ["z"]]
    assert (
        "(z: group one is not connected to a network required by instance z, group two is not" in out["info"]
    )


def test_multi_allocate_drbd_entries_reserve_memory_for_each_other():
    # two nodes with 9000 MiB: a 5000 MiB drbd entry fits (n2/n1); a second one would put
    # 5000 MiB of primary on n1 that already backs up 5000 MiB for n2: 4000 - 5000 <= 0
    doc = d.document(
        {"n1": d.node(free_memory=9000), "n2": d.node(free_memory=9000)},
        request=d.multi_allocate(
            d.entry("x", memory=5000, template="drbd"), d.entry("y", memory=5000, template="drbd")
        ),
    )
    out = d.run(doc)
    assert out["result"] == [[["x", ["n2", "n1"]]], ["y"]]
    assert (
        "(y: Group default (preferred): No valid allocation solutions, failure reasons: FailMem: 2"
        in (out["info"])
    )
