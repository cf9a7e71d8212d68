"""What the protocol fuzz found, kept as plain tests: each was an internal error (a 500)."""

from __future__ import annotations

import copy
import json
import random
import warnings

import pytest

from app.cli import one_line
from app.protocol.errors import DocumentError
from app.protocol.request import INT_MAX
from app.service.answer import answer
from tests.support import gen
from tests.support.cluster_spec import ClusterSpec, Doc

NODE = "node0000.example.com"


def allocation(**node: object) -> Doc:
    doc = copy.deepcopy(gen.allocate_request(gen.generate(ClusterSpec(nodes=4), 1), random.Random(1)))
    doc["nodes"][NODE].update(node)
    return doc


@pytest.mark.parametrize("field", ["total_memory", "total_cpus"])
def test_a_node_of_no_memory_or_cpus_is_answered(field):
    # its ratios are NaN: IndexError in the pair ranking
    reply = json.loads(answer(json.dumps(allocation(**{field: 0})).encode()).body)
    assert set(reply) == {"success", "info", "result"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_memory", 1e308),  # float64 -> int64 cast overflow
        ("total_memory", 2**63 - 1),
        ("free_memory", INT_MAX + 1),  # int64 sums overflow
        ("free_disk", -(2**63)),
    ],
)
def test_numbers_past_what_json_holds_exactly_are_refused_naming_the_field(field, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(DocumentError) as refused:
            answer(json.dumps(allocation(**{field: value})).encode())
    assert refused.value.path == f"nodes.{NODE}.{field}"


def test_the_largest_exact_number_is_answered():
    reply = json.loads(
        answer(json.dumps(allocation(total_memory=INT_MAX, free_memory=INT_MAX)).encode()).body
    )
    assert set(reply) == {"success", "info", "result"}


def test_cli_error_stays_on_one_line():
    # a node named "\n" gave a two-line error on stderr
    assert one_line("nodes.\n: expected an object, got null") == "nodes.\\n: expected an object, got null"
