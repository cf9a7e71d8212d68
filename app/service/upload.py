"""A request document as the service received it, unpacked in an engine process, and the
bounded look at its first bytes that tells which cluster it is for before anything is parsed.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass


class BodyError(Exception):
    """A request body that cannot be unpacked: `status` 400 (bad gzip) or 413 (too large)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Upload:
    """A request document as the service received it: `content`, gzip-compressed if `gzipped`,
    at most `limit` bytes once unpacked."""

    content: bytes
    gzipped: bool
    limit: int

    @property
    def size(self) -> int:
        """The document's size, as a gzip body's trailer states it (a lane choice, not a limit)."""
        if self.gzipped and len(self.content) >= 4:
            return int.from_bytes(self.content[-4:], "little")
        return len(self.content)

    def unpack(self) -> tuple[bytes, bytes | None]:
        """The document, and the content itself when it can be kept as it is (one gzip member:
        `unpack_document` reads it). BodyError for gzip output beyond `limit` (a gzip bomb) or
        content that is not gzip."""
        if not self.gzipped:
            return self.content, None
        data, out, size = self.content, [], 0
        while data:
            stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                part = stream.decompress(data, self.limit - size + 1)
            except zlib.error as exc:
                raise BodyError(400, "bad_request", f"the body is not valid gzip: {exc}") from exc
            size += len(part)
            if size > self.limit:
                raise BodyError(413, "too_large", f"the document is larger than {self.limit} bytes")
            if not stream.eof:
                raise BodyError(400, "bad_request", "the gzip body is truncated")
            out.append(part)
            data = stream.unused_data
        return b"".join(out), self.content if len(out) == 1 else None


def unpack_document(kept: bytes) -> bytes:
    """A kept document: zlib-compressed, or gzip as the shim sent it."""
    return zlib.decompress(kept, 32 + zlib.MAX_WBITS)  # 32: either header


@dataclass(frozen=True)
class KeptDocument:
    """A document the service kept (`unpack_document`), `size` bytes once unpacked: what an
    engine job reads as it reads an `Upload`. `key` names it (its decision's id; "": unnamed),
    so that an engine process may keep it parsed (app.service.states)."""

    content: bytes
    size: int
    key: str = ""

    def unpack(self) -> tuple[bytes, bytes | None]:
        return unpack_document(self.content), self.content


# What an engine job reads its document from.
Document = Upload | KeptDocument


# A JSON string, or one of the brackets that open and close nested values.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_KEY_END = re.compile(rb"\s*:\s*")
_START = re.compile(rb"\s*\{")


def peek_cluster_name(head: bytes) -> str | None:
    """The top-level cluster_name if it is within `head` (a document's first bytes), else None.

    Nested values are skipped, so the name is found after cluster_tags or nodegroups too (old
    Ganeti releases and its test inputs write it there; Ganeti 3.0 writes it second). Cheap and
    exact for Ganeti's documents; never a substitute for checking the parsed document (a
    duplicate key later on would win there)."""
    start = _START.match(head)
    if start is None:
        return None
    depth, pos = 1, start.end()
    while depth and (token := _TOKEN.search(head, pos)):
        pos = token.end()
        if token[0] in b"{[":
            depth += 1
        elif token[0] in b"}]":
            depth -= 1
        elif depth == 1 and (colon := _KEY_END.match(head, pos)):
            pos = colon.end()
            if _decoded(token[0]) == "cluster_name":
                value = _TOKEN.match(head, pos)
                name = _decoded(value[0]) if value and value[0][:1] == b'"' else None
                return name if isinstance(name, str) else None
    return None


def _decoded(text: bytes) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
