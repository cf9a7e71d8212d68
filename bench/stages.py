"""Where a shim+service answer's time goes, per case: the shim and HTTP (the shim's wall time
less the time the service recorded from body received to answer), the service around the engine
(queue, unpacking, storing the decision: recorded time less engine time), and the engine's
stages, timed here in the bench's own process on the same document with the engine's own
functions: parse (JSON and protocol models), build (the cluster arrays), decide (the request
and its response bytes) and state (the decision applied to a copy, summarised: what only the
service keeps). They run as in an engine process: the cyclic garbage collector off (see
`app.service.jobs.execute`), malloc tuned."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from app.cluster import build_cluster, summarize
from app.engine import apply_placements, placements, run_request
from app.protocol import dump_response, parse_document
from app.service.memory import tune_malloc
from app.service.params import engine_options

RUNS = 3


@dataclass(frozen=True)
class Stages:
    """Median seconds of each engine stage."""

    parse: float
    build: float
    decide: float
    state: float


def engine_stages(data: bytes, params: Sequence[str], runs: int = RUNS) -> Stages:
    """The engine's stages on `data` with `params`, medians of `runs`."""
    options, _ = engine_options(params)
    tune_malloc()
    took: list[list[float]] = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        doc = parse_document(data)
        t1 = time.perf_counter()
        c = build_cluster(doc, options.static_kvm_node_memory)
        t2 = time.perf_counter()
        state = c.copy()  # counted in `state`: the engine may change `c`
        copied = time.perf_counter()
        reply = run_request(c, doc.request, options)
        dump_response(reply.success, reply.info, reply.result)
        t3 = time.perf_counter()
        apply_placements(state, doc.request, placements(state, doc.request, reply))
        summarize(doc, state)
        t4 = time.perf_counter()
        gc.enable()
        took.append([t1 - t0, t2 - t1, t3 - copied, t4 - t3 + copied - t2])
    parse, build, decide, kept = (statistics.median(column) for column in zip(*took, strict=True))
    return Stages(parse, build, decide, kept)
