"""Job sets, opcodes and commands of a balancing plan (app/engine/balance/jobs.py)."""

from __future__ import annotations

from app.engine.balance.jobs import Step, format_commands, split_jobs


def step(name: str, old: tuple[str, ...], new: tuple[str, ...], kind: str = "replace_secondary") -> Step:
    return Step(name, kind, old, new, 1.0, True)  # type: ignore[arg-type]


def test_split_jobs_disjoint_moves_share_one_set() -> None:
    steps = [step("a", ("n1", "n2"), ("n1", "n3")), step("b", ("n4", "n5"), ("n4", "n6"))]
    assert split_jobs(steps) == [[0, 1]]


def test_split_jobs_groups_from_the_last_move_back_like_hbal() -> None:
    # forwards, a and b would share a set; hbal's splitJobs walks back from c
    steps = [
        step("a", ("n1", "n2"), ("n1", "n9")),
        step("b", ("n3", "n4"), ("n3", "n8")),
        step("c", ("n2", "n5"), ("n2", "n7")),
    ]
    assert split_jobs(steps) == [[0], [1, 2]]


def test_split_jobs_empty_plan_has_no_sets() -> None:
    assert split_jobs([]) == []


def test_step_replace_primary_opcodes_and_commands() -> None:
    s = step("i1", ("n1", "n2"), ("n3", "n2"), "replace_primary")
    assert [op["OP_ID"] for op in s.opcodes()] == ["OP_INSTANCE_MIGRATE", "OP_INSTANCE_REPLACE_DISKS"] + [
        "OP_INSTANCE_MIGRATE"
    ]
    assert s.opcodes()[1]["remote_node"] == "n3"
    assert s.commands() == [
        "gnt-instance migrate -f i1",
        "gnt-instance replace-disks -n n3 i1",
        "gnt-instance migrate -f i1",
    ]
    assert s.short == "f r:n3 f"


def test_step_stopped_instance_fails_over_and_to_any_names_target() -> None:
    s = Step("i1", "failover_to_any", ("n1",), ("n4",), 1.0, False)
    assert s.commands() == ["gnt-instance failover -f -n n4 i1"]
    assert s.opcodes()[0]["target_node"] == "n4"
    assert s.short == "fa:n4"


def test_step_combinations_short_notation_is_hbals() -> None:
    assert step("i", ("a", "b"), ("c", "a"), "replace_and_failover").short == "r:c f"
    assert step("i", ("a", "b"), ("b", "c"), "failover_and_replace").short == "f r:c"
    assert step("i", ("a", "b"), ("b", "a"), "failover").short == "f"


def test_format_commands_numbers_sets_and_jobs() -> None:
    steps = [step("a", ("n1", "n2"), ("n1", "n3")), step("b", ("n1", "n3"), ("n1", "n4"))]
    text = format_commands(steps, split_jobs(steps))
    assert "echo jobset 1, 1 jobs" in text and "echo job 2/1" in text
    assert text.index("-n n3 a") < text.index("-n n4 b")
