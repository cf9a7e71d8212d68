"""Running engine work from a route: in the engine pool under the cluster's limit, with the
pool's and the engine's failures turned into API errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from app.api.deps import Service
from app.api.errors import ApiError, ErrorLocation
from app.core.engine_pool import Busy, EngineUnavailable
from app.core.worker import Crashed, Rejected

T = TypeVar("T")
log = logging.getLogger(__name__)


async def run_engine(
    service: Service,
    cluster: str,
    fn: Callable[..., T | Rejected | Crashed],
    *args: Any,
    size: int | None = None,
) -> T:
    """fn(*args) in the pool (`size`: the document's, for the pool's lanes); 504 past the request
    timeout, 429 when the cluster's queue is full, 503 when an engine process died, 400 (413) for
    bad input and 500 for an engine bug."""
    timeout = service.settings.request_timeout
    try:
        result = await service.pool.run(cluster, timeout, fn, *args, size=size)
    except TimeoutError:
        raise ApiError(504, "timeout", f"no answer within {timeout} s") from None
    except Busy:
        raise ApiError(
            429, "busy", f"too many requests queued for {cluster!r}", **{"Retry-After": "1"}
        ) from None
    except EngineUnavailable:
        raise ApiError(503, "engine_unavailable", "an engine process died; retry") from None
    if isinstance(result, Rejected):
        raise rejection(result)
    if isinstance(result, Crashed):
        log.error("engine error: %s\n%s", result.error, result.trace)
        raise ApiError(500, "internal", "the engine failed on this request; see the service log")
    return result


def rejection(rejected: Rejected) -> ApiError:
    """The API error for input an engine process refused."""
    if rejected.loc is None:
        return ApiError(rejected.status, rejected.code, rejected.msg)
    return ApiError(rejected.status, rejected.code, [ErrorLocation(loc=rejected.loc, msg=rejected.msg)])
