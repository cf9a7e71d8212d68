"""A stand-in for app.service.answer.answer, so the service can be tested on its own.

It runs in the engine processes, so it is module-level. The document's `request` steers it:
`test_sleep` (seconds), `test_crash` (the process exits), `test_raise` (an engine bug); a
parameter `--reject...` is refused. It picks the first `required_nodes` online nodes by name;
none left gives `success: false`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

from app.protocol.errors import DocumentError, ParameterError
from app.protocol.summary import GroupSummary, StateSummary
from app.service.answer import Outcome, check_cluster
from app.store.records import DecisionFacts

SUMMED = ("total_memory", "free_memory", "total_disk", "free_disk")


def fake_answer(
    data: bytes,
    params: Sequence[str] = (),
    defaults: Sequence[str] = (),
    *,
    cluster: str | None = None,
    retain: list[object] | None = None,
) -> Outcome:
    for param in [*defaults, *params]:
        if param.startswith("--reject"):
            raise ParameterError(param, "not a parameter the engine knows")
    try:
        doc: Any = json.loads(data)
    except ValueError as exc:
        raise DocumentError("", f"not valid JSON: {exc}") from None
    if retain is not None:
        retain.append(doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("cluster_name", ""), str):
        raise DocumentError("cluster_name", "expected a string")
    check_cluster(doc.get("cluster_name", ""), cluster)
    request = doc.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        raise DocumentError("request.type", "field required")
    if request.get("test_crash"):
        os._exit(3)
    if request.get("test_raise"):
        raise RuntimeError("engine bug")
    if request.get("test_exhaust"):
        raise MemoryError("the engine process ran out of memory")
    time.sleep(float(request.get("test_sleep", 0)))
    nodes: dict[str, Any] = doc["nodes"] if isinstance(doc.get("nodes"), dict) else {}
    online = sorted(n for n, v in nodes.items() if isinstance(v, dict) and not v.get("offline"))
    chosen = online[: int(request.get("required_nodes", 1))]
    success = bool(chosen)
    info = f"params={' '.join(params)};defaults={' '.join(defaults)}"
    if not success:
        info = "Request failed: FailMem: 2, FailDisk: 1"
    body = json.dumps({"success": success, "info": info, "result": chosen}).encode()
    facts = DecisionFacts(
        request_type=request["type"],
        success=success,
        info=info,
        instances=[str(request.get("name", ""))],
        nodes=chosen,
        score_before=2.0,
        score_after=1.5 if success else 2.0,
        engine_version="fake-1",
        engine_seconds=0.001,
        document_sha256="0" * 64,
    )
    # optional cluster_name, as app.service.answer has it
    placed = [(str(request.get("name", "")), chosen)] if success else []
    return Outcome(body, doc.get("cluster_name", ""), facts, _summary(doc, nodes), placed)


def _summary(doc: dict[str, Any], nodes: dict[str, Any]) -> StateSummary:
    """One group per group UUID the nodes name, summed as the real summary does."""
    names = {uuid: g.get("name", uuid) for uuid, g in (doc.get("nodegroups") or {}).items()}
    groups: dict[str, GroupSummary] = {}
    for node in nodes.values():
        uuid = node.get("group", "")
        zero = dict.fromkeys(("nodes", "offline", "drained", *SUMMED), 0)
        g = groups.setdefault(uuid, GroupSummary(uuid=uuid, name=names.get(uuid, uuid), **zero))
        g.nodes += 1
        g.drained += bool(node.get("drained"))
        if node.get("offline"):
            g.offline += 1
            continue
        for key in SUMMED:
            setattr(g, key, getattr(g, key) + int(node.get(key, 0)))
    instances = len(doc.get("instances") or {})
    return StateSummary(nodes=len(nodes), instances=instances, groups=list(groups.values()))


def document(cluster: str, instance: str = "inst1", nodes: int = 3, **request: Any) -> bytes:
    """A small document in Ganeti's member order (version, cluster_name first)."""
    return json.dumps(
        {
            "version": 2,
            "cluster_name": cluster,
            "nodegroups": {"g1": {"name": "default", "alloc_policy": "preferred"}},
            "nodes": {
                f"node{i}": {
                    "group": "g1",
                    "total_memory": 4096,
                    "free_memory": 1024 * i,
                    "total_disk": 10000,
                    "free_disk": 5000,
                    "offline": False,
                    "drained": False,
                }
                for i in range(1, nodes + 1)
            },
            "instances": {},
            "request": {"type": "allocate", "name": instance, "required_nodes": 2, **request},
        }
    ).encode()
