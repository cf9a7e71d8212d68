"""Reading request bodies: what the service unpacks itself (app/api/body.py)."""

from __future__ import annotations

import gzip

import pytest

from app.api.body import HEAD_BYTES, Received, head_of


def test_received_size_of_gzip_body_from_its_trailer():
    doc = b'{"cluster_name": "c1"}' * 100
    assert Received(gzip.compress(doc), True, b"").size == len(doc)
    assert Received(doc, False, b"").size == len(doc)


def test_head_is_the_start_of_the_unpacked_document():
    doc = b"x" * (3 * HEAD_BYTES)
    assert head_of(gzip.compress(doc)) == doc[:HEAD_BYTES]


@pytest.mark.parametrize("body", [b"not gzip", gzip.compress(b"x" * 100)[:5], b""])
def test_head_of_a_bad_body_is_empty(body):
    # the engine process refuses it with the reason
    assert head_of(body) == b""
