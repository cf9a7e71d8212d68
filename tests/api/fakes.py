"""A stand-in for app.iallocator.answer, so the service can be tested on its own.

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

from app.iallocator import Outcome
from app.protocol.errors import DocumentError, ParameterError
from app.protocol.summary import summarize


def fake_answer(
    data: bytes, params: Sequence[str] = (), defaults: Sequence[str] = (), retain: list[object] | None = None
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
    request = doc.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        raise DocumentError("request.type", "field required")
    if request.get("test_crash"):
        os._exit(3)
    if request.get("test_raise"):
        raise RuntimeError("engine bug")
    time.sleep(float(request.get("test_sleep", 0)))
    nodes: dict[str, Any] = doc["nodes"] if isinstance(doc.get("nodes"), dict) else {}
    online = sorted(n for n, v in nodes.items() if isinstance(v, dict) and not v.get("offline"))
    chosen = online[: int(request.get("required_nodes", 1))]
    success = bool(chosen)
    info = f"params={' '.join(params)};defaults={' '.join(defaults)}"
    if not success:
        info = "Request failed: FailMem: 2, FailDisk: 1"
    body = json.dumps({"success": success, "info": info, "result": chosen}).encode()
    return Outcome(
        body=body,
        success=success,
        info=info,
        request_type=request["type"],
        cluster_name=doc.get("cluster_name", ""),  # optional, as app.iallocator has it
        instances=[str(request.get("name", ""))],
        nodes=chosen,
        score_before=2.0,
        score_after=1.5 if success else 2.0,
        document_sha256="0" * 64,
        engine_seconds=0.001,
        summary=summarize(doc),
        engine_version="fake-1",
    )


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
