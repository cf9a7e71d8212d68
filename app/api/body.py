"""Reading a request document: size-limited, optionally gzip-compressed (as the shim sends it)."""

from __future__ import annotations

import zlib
from typing import NamedTuple

import anyio.to_thread
from fastapi import Request

from app.api.errors import ApiError


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the document is larger than {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body; 413 as soon as it passes `limit` bytes (or its Content-Length says it will)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class Received(NamedTuple):
    """A request document: `data` to answer, and `gzipped`, the body as received when it was
    one gzip member (kept as it is instead of compressing `data` again)."""

    data: bytes
    gzipped: bytes | None = None


def gunzip(data: bytes, limit: int) -> Received:
    """Decompress gzip (all members), refusing output beyond `limit` bytes (a gzip bomb)."""
    body = data
    out: list[bytes] = []
    size = 0
    while data:
        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = stream.decompress(data, limit - size + 1)
        except zlib.error as exc:
            raise ApiError(400, "bad_request", f"the body is not valid gzip: {exc}") from exc
        size += len(part)
        if size > limit:
            raise _too_large(limit)
        if not stream.eof:
            raise ApiError(400, "bad_request", "the gzip body is truncated")
        out.append(part)
        data = stream.unused_data
    return Received(b"".join(out), body if len(out) == 1 else None)


async def read_document(request: Request, limit: int) -> Received:
    """The request document, decompressed off the event loop when Content-Encoding is gzip."""
    data = await read_body(request, limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return Received(data)
    if encoding in ("gzip", "x-gzip"):
        return await anyio.to_thread.run_sync(gunzip, data, limit)
    raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}: only gzip is accepted")
