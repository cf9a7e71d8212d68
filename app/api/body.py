"""Reading a request document: size-limited. A gzip body (as the shim sends it) stays compressed
until an engine process unpacks it (`app.service.upload.Upload`): sending the pool a few
compressed megabytes instead of tens of plain ones is most of what a large request costs here."""

from __future__ import annotations

import zlib
from typing import NamedTuple, TypeVar

import anyio.to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.api.errors import ApiError
from app.service.upload import Upload

M = TypeVar("M", bound=BaseModel)
HEAD_BYTES = 64 << 10  # unpacked here: where the cluster's name is looked for (peek_cluster_name)


def _too_large(what: str, limit: int) -> ApiError:
    return ApiError(413, "too_large", f"{what} is larger than {limit} bytes")


async def read_body(request: Request, limit: int, what: str = "the document") -> bytes:
    """The raw body; 413 as soon as it passes `limit` bytes (or its Content-Length says it will).
    Routes call it once the caller is authenticated: nothing reads a body before."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(what, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_model(request: Request, model: type[M], limit: int) -> M:
    """A JSON body (at most `limit` bytes) validated as `model` off the event loop; 422 naming
    the fields at fault (`body.<field>`), as FastAPI's own body parameters have it."""
    data = await read_body(request, limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}: send plain JSON")
    try:
        return await anyio.to_thread.run_sync(model.model_validate_json, data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([e | {"loc": ("body", *e["loc"])} for e in errors]) from None


class Received(NamedTuple):
    """A request document as it came, for an engine process to unpack, and `head`, its first
    bytes unpacked: where to look for the cluster's name without unpacking everything."""

    upload: Upload
    head: bytes


def head_of(body: bytes) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, HEAD_BYTES)
    except zlib.error:
        return b""  # not gzip: the engine process says so


async def read_document(request: Request, limit: int) -> Received:
    """The request document (at most `limit` bytes unpacked), as received; 415 for an encoding
    other than gzip."""
    data = await read_body(request, limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return Received(Upload(data, False, limit), data[:HEAD_BYTES])
    if encoding in ("gzip", "x-gzip"):
        return Received(Upload(data, True, limit), head_of(data))
    raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}: only gzip is accepted")
