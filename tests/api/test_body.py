"""Reading request bodies: gzip members and what is kept as received (app/api/body.py)."""

from __future__ import annotations

import gzip

import pytest

from app.api.body import Received, gunzip
from app.api.errors import ApiError


def test_gunzip_one_member_kept_as_received():
    body = gzip.compress(b'{"a": 1}')
    assert gunzip(body, 100) == Received(b'{"a": 1}', body)


def test_gunzip_several_members_joined_not_kept():
    # a stored document is unpacked with zlib, which reads one member only
    body = gzip.compress(b'{"a":') + gzip.compress(b" 1}")
    assert gunzip(body, 100) == Received(b'{"a": 1}', None)


def test_gunzip_beyond_limit_413():
    with pytest.raises(ApiError) as info:
        gunzip(gzip.compress(b"x" * 1000), 999)
    assert (info.value.status, info.value.code) == (413, "too_large")
