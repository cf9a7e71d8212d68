"""Hypothesis strategies over the iallocator protocol: valid documents (tests.support.gen, from a
drawn seed and cluster shape) and broken ones, mutations of valid ones: wrong types, missing
fields, out-of-range numbers, unknown request types, bad nesting, unknown fields.

IALLOCD_FUZZ_EXAMPLES sets how many documents each fuzz test tries (`make fuzz`: a campaign).
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from hypothesis import HealthCheck, settings, strategies as st

from tests.support import gen
from tests.support.cluster_spec import ClusterSpec, Doc

EXAMPLES = int(os.environ.get("IALLOCD_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to .hypothesis; failures print their reproduction
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CLUSTER = ClusterSpec().cluster_name
Path = tuple[str | int, ...]


class Fuzzed(NamedTuple):
    data: bytes
    mutations: tuple[str, ...]  # what was done to a valid document; () for a valid one

    @property
    def kind(self) -> str:
        return ",".join(sorted({m.split(" ")[0] for m in self.mutations})) or "valid"


Builder = Callable[[Doc, random.Random], Doc]
BUILDERS: dict[str, Builder] = {
    "allocate": lambda doc, rng: gen.allocate_request(doc, rng, rng.choice(["drbd", "plain", "diskless"])),
    "multi-allocate": lambda doc, rng: gen.multi_allocate_request(doc, rng, rng.randint(1, 3)),
    "relocate": gen.relocate_request,
    "node-evacuate": lambda doc, rng: gen.node_evacuate_request(doc, rng, rng.choice(gen.EVAC_MODES)),
    "change-group": gen.change_group_request,
    "allocate-secondary": gen.allocate_secondary_request,
    "multi-evacuate": gen.multi_evacuate_request,
}


@st.composite
def valid_documents(draw: st.DrawFn) -> Doc:
    spec = ClusterSpec(
        nodes=draw(st.integers(2, 8)),
        groups=draw(st.integers(1, 2)),
        instances_per_node=draw(st.sampled_from([0.0, 1.0, 3.0])),
        templates=draw(st.sampled_from([gen.DRBD_ONLY, gen.mixed()])),
        offline=draw(st.sampled_from([0.0, 0.2])),
        drained=draw(st.sampled_from([0.0, 0.2])),
        exclusion_tags=draw(st.booleans()),
        location_tags=draw(st.booleans()),
        networks=draw(st.integers(0, 2)),
    )
    seed = draw(st.integers(0, 2**32 - 1))
    doc = gen.generate(spec, seed)
    rng = random.Random(seed)
    kind = draw(st.sampled_from(sorted(BUILDERS)))
    try:
        return BUILDERS[kind](doc, rng)
    except (IndexError, ValueError, KeyError):  # nothing this request could be about
        return gen.allocate_request(doc, rng)


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON value, the root's children first."""
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    found: list[Path] = []
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


def _at(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


OTHER_TYPES = [None, True, 0, -1, 2.5, "", "x", [], {}, [1], {"x": 1}]
OUT_OF_RANGE = [-1, -(2**31), 2**31, 2**63, 2**64 + 1, 10**30, 1e308, -1e308, 0.5, -0.0]


@st.composite
def _mutation(draw: st.DrawFn, doc: Any) -> str:
    """Change `doc` in place; returns what was done."""
    where = paths(doc)
    kind = draw(st.sampled_from(["type", "missing", "range", "request-type", "nesting", "unknown"]))
    if kind == "request-type" and isinstance(doc.get("request"), dict):
        doc["request"]["type"] = draw(
            st.sampled_from(["", "Allocate", "evacuate", "42"]) | st.text(max_size=12)
        )
        return "request-type"
    if kind == "range":
        numbers = [
            p for p in where if isinstance(_at(doc, p), int | float) and not isinstance(_at(doc, p), bool)
        ]
        if numbers:
            path = draw(st.sampled_from(numbers))
            _at(doc, path[:-1])[path[-1]] = draw(st.sampled_from(OUT_OF_RANGE))
            return f"range {path}"
    if not where:
        return "none"
    path = draw(st.sampled_from(where))
    parent, key = _at(doc, path[:-1]), path[-1]
    if kind == "missing":
        del parent[key]
    elif kind == "nesting":
        value = parent[key]
        parent[key] = draw(st.sampled_from([[value], {"x": value}, json.dumps(value)]))
    elif kind == "unknown" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = copy.deepcopy(draw(st.sampled_from(OTHER_TYPES)))
    else:
        kind = "type"
        old = parent[key]
        other = draw(st.sampled_from([v for v in OTHER_TYPES if type(v) is not type(old)]))
        parent[key] = copy.deepcopy(other)  # the list's own values are shared by every document
    return f"{kind} {path}"


@st.composite
def broken_documents(draw: st.DrawFn) -> Fuzzed:
    doc = copy.deepcopy(draw(valid_documents()))  # builders share nested objects
    done = tuple(draw(_mutation(doc)) for _ in range(draw(st.integers(1, 3))))
    return Fuzzed(json.dumps(doc).encode(), done)


def documents() -> st.SearchStrategy[Fuzzed]:
    """Valid documents a quarter of the time, broken ones otherwise."""
    valid = valid_documents().map(lambda doc: Fuzzed(json.dumps(doc).encode(), ()))
    return st.one_of(valid, broken_documents(), broken_documents(), broken_documents())
