"""Every error leaves as JSON `{"error": code, "detail": ...}`; this module is the only place that
builds such bodies. Bad input lists `{"loc", "msg"}` items in `detail`.

Codes: bad_request, bad_document, bad_parameter, validation_error (4xx input); unauthorized,
forbidden, not_found, method_not_allowed, conflict, cluster_removed, too_large, unsupported_encoding,
busy, rate_limited; timeout, store_unavailable, engine_unavailable, internal (5xx).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.examples import ERROR
from app.core.metrics import Metrics
from app.service.answer import WrongCluster
from app.service.errors import (
    Busy,
    EngineCrashed,
    EngineError,
    EngineTimeout,
    EngineUnavailable,
    InputRejected,
)

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_encoding",
    422: "validation_error",
    429: "busy",
    503: "unavailable",
    504: "timeout",
}


class ErrorLocation(BaseModel):
    loc: str = Field(description="Dotted path of the field (or the parameter) at fault", examples=["nodes"])
    msg: str = Field(examples=["field required"])


class ErrorResponse(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(json_schema_extra={"examples": [ERROR]})

    error: str = Field(description="A stable code", examples=["bad_document"])
    detail: str | list[ErrorLocation] | None = Field(None, description="A sentence, or the fields at fault")


class ApiError(Exception):
    """Raised by routes and dependencies; rendered by the handler below."""

    def __init__(
        self, status: int, code: str, detail: str | list[ErrorLocation] | None = None, **headers: str
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, **{"WWW-Authenticate": "Bearer"})


def error_response(
    request: Request, status: int, code: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Render an error and count it (iallocd_failures{reason=code})."""
    metrics: Metrics = request.app.state.metrics
    metrics.failures.labels(reason=code).inc()
    body = ErrorResponse(error=code, detail=detail).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.code, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        ErrorLocation(loc=".".join(str(p) for p in err.get("loc", ())), msg=str(err.get("msg", "")))
        for err in exc.errors()
    ]
    return error_response(request, 422, "validation_error", items)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("store failure: %s", exc, exc_info=exc)
    return error_response(request, 503, "store_unavailable", "the database did not answer")


def engine_error(exc: EngineError) -> ApiError:
    """The API error for an engine run that gave no result."""
    if isinstance(exc, InputRejected):
        rejected = exc.rejected
        if rejected.loc is None:
            return ApiError(rejected.status, rejected.code, rejected.msg)
        return ApiError(rejected.status, rejected.code, [ErrorLocation(loc=rejected.loc, msg=rejected.msg)])
    if isinstance(exc, Busy):
        return ApiError(429, "busy", str(exc), **{"Retry-After": "1"})
    if isinstance(exc, EngineTimeout):
        return ApiError(504, "timeout", str(exc))
    if isinstance(exc, EngineUnavailable):
        return ApiError(503, "engine_unavailable", "an engine process died; retry")
    assert isinstance(exc, EngineCrashed)
    return ApiError(500, "internal", "the engine failed on this request; see the service log")


async def _engine_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    return await _api_error(request, engine_error(exc))


async def _wrong_cluster(request: Request, exc: Exception) -> JSONResponse:
    return error_response(request, 403, "forbidden", str(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(WrongCluster, _wrong_cluster)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _store_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    return {
        status: {"model": ErrorResponse, "description": _CODES.get(status, "error").replace("_", " ")}
        for status in statuses
    }
