"""The opcodes of evacuation jobs (`Cluster/Utils.hs: iMoveToJob`, ALGORITHM.md 5.4): exact
dicts as hail prints them, checked against a table written from Ganeti 3.0's opcode
definitions (lib/opcodes.py OP_PARAMS, src/Ganeti/OpCodes.hs) and by Ganeti's own code."""

from __future__ import annotations

import pytest

from app.engine.moves.evacuate import Move
from app.engine.moves.opcodes import after_all, job, migrate, replace_secondary
from tests.support import docs as d
from tests.support.ganeti import SKIP_REASON, ganeti_available, validate_opcode

needs_ganeti = pytest.mark.skipif(not ganeti_available(), reason=SKIP_REASON)

# Written from Ganeti 3.0 lib/opcodes.py: every field iallocd emits, the type Ganeti
# checks, and whether Ganeti has a default for it (the three opcodes iallocators may use,
# doc/design-multi-reloc.rst). `depends` is the generic job-dependency field of every
# opcode (opcodes_base.BuildJobDepCheck(True): relative job ids allowed).
TABLE: dict[str, dict[str, tuple[type, bool]]] = {
    "OP_INSTANCE_MIGRATE": {
        "instance_name": (str, False),
        "target_node": (str, True),
        "allow_runtime_changes": (bool, True),  # Ganeti's default is true, hail sends false
        "ignore_ipolicy": (bool, True),
        "cleanup": (bool, True),
        "allow_failover": (bool, True),
        "ignore_hvversions": (bool, True),
        "depends": (list, True),
    },
    "OP_INSTANCE_REPLACE_DISKS": {
        "instance_name": (str, False),
        "early_release": (bool, True),
        "ignore_ipolicy": (bool, True),
        "mode": (str, False),  # one of constants.REPLACE_MODES
        "disks": (list, True),
        "remote_node": (str, True),
        "depends": (list, True),
    },
}
REPLACE_MODES = ("replace_on_primary", "replace_on_secondary", "replace_new_secondary", "replace_auto")


def _check_table(op: dict[str, object]) -> None:
    fields = TABLE[str(op["OP_ID"])]
    for key, value in op.items():
        if key != "OP_ID":
            assert key in fields, f"{key} is not a field of {op['OP_ID']}"
            assert isinstance(value, fields[key][0]), f"{key}={value!r}"
    missing = [k for k, (_, has_default) in fields.items() if not has_default and k not in op]
    assert not missing
    if op["OP_ID"] == "OP_INSTANCE_REPLACE_DISKS":
        assert op["mode"] in REPLACE_MODES


def test_migrate_without_target_is_hails_dict_in_hails_key_order():
    op = migrate("i1")
    assert list(op.items()) == [
        ("OP_ID", "OP_INSTANCE_MIGRATE"),
        ("instance_name", "i1"),
        ("allow_runtime_changes", False),
        ("ignore_ipolicy", False),
        ("cleanup", False),
        ("allow_failover", True),
        ("ignore_hvversions", True),
    ]
    _check_table(op)


def test_migrate_with_target_puts_target_node_after_instance_name():
    op = migrate("i1", "n3")
    assert list(op)[:3] == ["OP_ID", "instance_name", "target_node"]
    assert op["target_node"] == "n3"
    _check_table(op)


def test_replace_secondary_is_hails_dict_in_hails_key_order():
    op = replace_secondary("i1", "n4")
    assert list(op.items()) == [
        ("OP_ID", "OP_INSTANCE_REPLACE_DISKS"),
        ("instance_name", "i1"),
        ("early_release", False),
        ("ignore_ipolicy", False),
        ("mode", "replace_new_secondary"),
        ("disks", []),
        ("remote_node", "n4"),
    ]
    _check_table(op)


def test_job_lists_one_opcode_per_move_in_order():
    doc = d.document({f"n{k}": d.node() for k in range(1, 5)}, {"i1": d.instance(["n1", "n2"])})
    c = d.cluster_of(doc)
    n3, n4 = c.node_index["n3"], c.node_index["n4"]
    moves = [Move("failover"), Move("replace_secondary", n4), Move("failover_to_any", n3)]
    assert job(c, c.instance_index["i1"], moves) == [
        migrate("i1"),
        replace_secondary("i1", "n4"),
        migrate("i1", "n3"),
    ]


def test_after_all_makes_the_first_opcode_wait_for_every_earlier_job():
    ops = [replace_secondary("i1", "n3"), migrate("i1")]
    waiting = after_all(ops, 2)
    assert waiting[0]["depends"] == [[-1, ["success"]], [-2, ["success"]]]
    assert waiting[1] == migrate("i1")
    assert "depends" not in ops[0]  # the original job is left alone
    _check_table(waiting[0])


def test_after_all_without_earlier_jobs_changes_nothing():
    ops = [migrate("i1")]
    assert after_all(ops, 0) == ops


@needs_ganeti
@pytest.mark.parametrize(
    "op",
    [
        migrate("inst1.example.com"),
        migrate("inst1.example.com", "node2.example.com"),
        replace_secondary("inst1.example.com", "node3.example.com"),
        after_all([migrate("inst1.example.com")], 3)[0],
    ],
    ids=["migrate", "migrate-target", "replace-disks", "depends"],
)
def test_opcode_loaded_and_validated_by_ganeti(op):
    validate_opcode(op)


@needs_ganeti
def test_table_agrees_with_ganeti_opcode_definitions():
    from tests.support.ganeti import _ganeti

    opcodes = _ganeti().opcodes
    classes = {
        "OP_INSTANCE_MIGRATE": opcodes.OpInstanceMigrate,
        "OP_INSTANCE_REPLACE_DISKS": opcodes.OpInstanceReplaceDisks,
    }
    for op_id, fields in TABLE.items():
        params = {name: (default, check) for name, default, check, _ in classes[op_id].GetAllParams()}
        for name in fields:
            assert name in params, f"{op_id} has no field {name}"
        # what iallocd emits passes Ganeti's own per-field checks
        for name, value in (
            migrate("i", "n") if op_id == "OP_INSTANCE_MIGRATE" else replace_secondary("i", "n")
        ).items():
            if name != "OP_ID":
                assert params[name][1](value), f"{op_id}.{name}={value!r}"


def test_ganeti_rejects_a_broken_opcode_so_the_check_can_fail():
    if not ganeti_available():
        pytest.skip(SKIP_REASON)
    with pytest.raises(AssertionError):
        validate_opcode(replace_secondary("i1", "n3") | {"mode": "replace_everything"})
