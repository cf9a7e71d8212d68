"""Feeding allocations back into a document, as Ganeti reports the cluster after creating
the instances: what capacity counts is checked against allocating again and again."""

from __future__ import annotations

import copy
from collections.abc import Callable

from tests.support.docs import Doc

INSTANCE_KEYS = (
    "memory",
    "vcpus",
    "disks",
    "disk_template",
    "disk_space_total",
    "spindle_use",
    "tags",
    "nics",
)


def placed(doc: Doc, name: str, req: Doc, nodes: list[str]) -> Doc:
    """`doc` with the requested instance `req` running on `nodes` (primary first): listed
    with the instances, its memory gone from the primary's free memory and its disk from
    the free disk of every node holding it."""
    doc = copy.deepcopy(doc)
    doc["instances"][name] = {k: req[k] for k in INSTANCE_KEYS} | {"nodes": nodes, "admin_state": "up"}
    doc["nodes"][nodes[0]]["free_memory"] -= req["memory"]
    for node in nodes:
        doc["nodes"][node]["free_disk"] -= req["disk_space_total"]
    return doc


def allocate_until_full(doc: Doc, req: Doc, answer: Callable[[Doc], Doc]) -> tuple[list[list[str]], Doc]:
    """Ask `answer` to allocate `req` in `doc` again and again, each time in the document
    with the previous instances placed; returns the placements and the failed answer."""
    placements: list[list[str]] = []
    while True:
        out = answer(doc | {"request": req | {"name": f"placed-{len(placements)}"}})
        if not out["success"]:
            return placements, out
        doc = placed(doc, f"placed-{len(placements)}", req, out["result"])
        placements.append(out["result"])
