"""Reading request bodies: what the service unpacks itself (app/api/body.py)."""

from __future__ import annotations

import gzip

import pytest

from app.api.body import HEAD_BYTES, head_of


def test_head_is_the_start_of_the_unpacked_document():
    doc = b"x" * (3 * HEAD_BYTES)
    assert head_of(gzip.compress(doc)) == doc[:HEAD_BYTES]


@pytest.mark.parametrize("body", [b"not gzip", gzip.compress(b"x" * 100)[:5], b""])
def test_head_of_a_bad_body_is_empty(body):
    # the engine process refuses it with the reason
    assert head_of(body) == b""
