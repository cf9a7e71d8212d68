"""The decision page's view of an explanation: counts per constraint, and fields it does not know
(other request types add some) shown as they are rather than breaking the page."""

from __future__ import annotations

from app.api.console.explained import ConstraintCount, cell, constraint_counts, explained
from app.api.console.render import templates

MEM = "memory (incl. N+1 reservation)"


def _node(code: str | None, constraint: str = MEM) -> dict[str, object]:
    return {"group": "default", "code": code, "constraint": constraint}


def test_constraint_counts_most_first_no_candidate_included():
    nodes = {
        "a": _node("FailDisk", "disk"),
        "b": _node("FailMem"),
        "c": _node("FailMem"),
        "d": _node(None, "offline"),
    }
    assert constraint_counts(nodes) == [
        ConstraintCount("FailMem", MEM, 2),
        ConstraintCount("FailDisk", "disk", 1),
        ConstraintCount(None, "offline", 1),
    ]


def test_unknown_fields_kept_and_shown_as_they_are():
    body = {
        "request_type": "node-evacuate",
        "answer": {"success": True, "info": "", "result": []},
        "candidates": [{"instance": "i1", "nodes": ["n2"], "score": 0.5, "moves": [["i1", "n2"]]}],
        "rejected": {"i1": {"nodes": {"n1": _node("FailMem")}, "secondary": {}, "global_n1": 0, "why": "x"}},
        "warnings": [],
        "evacuated": ["n1"],
    }
    view = explained(body)
    assert view.columns == ["instance", "nodes", "score", "moves"]
    [one] = view.instances
    assert (one.instance, one.counts, one.more) == ("i1", [ConstraintCount("FailMem", MEM, 1)], {"why": "x"})
    assert view.more == {"evacuated": ["n1"]}
    macros = templates.env.get_template("macros.html").module
    html = str(macros.candidate_table(one.candidates, view.columns, "none"))  # type: ignore[attr-defined]
    assert (
        "<th>Moves</th>" in html
        and "<th>Global N+1</th>" not in html
        and "<td>i1, n2</td>" in html
        and '<td class="num">0.5</td>' in html
    )


def test_cell():
    assert [cell(None), cell(0.123456789), cell(["a", 1]), cell({"a": [1, 2]})] == [
        "–",
        "0.123457",
        "a, 1",
        "a: 1, 2",
    ]


def test_moves_shown_per_instance_with_their_candidates():
    from app.api.examples import EXPLAIN_EVACUATE

    view = explained(EXPLAIN_EVACUATE)
    assert "moves" not in view.more
    (moved,) = [i for i in view.instances if i.move is not None]
    first = EXPLAIN_EVACUATE["moves"][0]
    assert moved.instance == first["instance"] and moved.move["mode"] == first["mode"]
    assert moved.candidates[: len(first["candidates"])] == first["candidates"]
    assert view.columns[:3] == ["instance", "kind", "nodes"]
