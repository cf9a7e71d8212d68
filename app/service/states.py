"""Parsed kept states, remembered in each engine process: a state never changes under its
decision id, so the operator queries asked of it (capacity, explain, the group view) need not
parse its document again. Documents Ganeti sends are always parsed; only kept ones, named by
their decision, are looked up here.

The bound is on the unpacked size of the documents held (a parsed state takes about five times
that in memory); the least recently used states go first. A cluster's new decision makes a new
key: its old state is never served again and ages out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import NamedTuple

from app.cluster import Cluster
from app.engine import EngineOptions, Placement
from app.protocol import ClusterDocument
from app.service.answer import check_cluster, read_state
from app.service.upload import Document, KeptDocument


class State(NamedTuple):
    doc: ClusterDocument  # never changed by a job
    cluster: Cluster  # with the decision's placements applied; jobs get a copy


class StateCache:
    """The most recently used parsed states, at most `max_bytes` of their documents in all."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0
        self._states: OrderedDict[Hashable, tuple[State, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def get(self, key: Hashable) -> State | None:
        found = self._states.get(key)
        if found is None:
            return None
        self._states.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, state: State, size: int) -> None:
        if size > self.max_bytes:
            return
        old = self._states.pop(key, None)
        if old is not None:
            self.held -= old[1]
        self._states[key] = (state, size)
        self.held += size
        while self.held > self.max_bytes:
            _, (_, dropped) = self._states.popitem(last=False)
            self.held -= dropped


_cache = StateCache(0)  # this process's; `configure` sizes it (an engine process's initializer)


def configure(max_bytes: int) -> None:
    """Hold at most `max_bytes` of kept documents parsed in this process (0: none)."""
    global _cache
    _cache = StateCache(max_bytes)


def state_of(
    document: Document,
    done: Sequence[Placement],
    options: EngineOptions,
    cluster: str | None,
    retain: list[object] | None,
) -> tuple[ClusterDocument, Cluster]:
    """`read_state` of `document` with `done` applied, from this process's cache when the
    document is a kept one (its cluster model a copy: the caller may change it)."""
    if not isinstance(document, KeptDocument) or not document.key:
        return read_state(document.unpack()[0], done, options, cluster, retain)
    key = (document.key, bool(done), options.static_kvm_node_memory)
    found = _cache.get(key)
    if found is None:
        doc, c = read_state(document.unpack()[0], done, options, None, retain)
        for _ in c.instances.specs:  # made once here, not again in each job's copy
            pass
        found = State(doc, c)
        _cache.put(key, found, document.size)
    check_cluster(found.doc.cluster_name, cluster)
    return found.doc, found.cluster.copy()
