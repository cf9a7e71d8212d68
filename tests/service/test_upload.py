"""The received document: unpacking it, and the bounded look for its cluster's name."""

from __future__ import annotations

import gzip
import json

import pytest

from app.api.body import HEAD_BYTES
from app.service.upload import BodyError, Upload, peek_cluster_name
from tests.api.fakes import document
from tests.support.shared import TESTDATA

LIMIT = 1 << 20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"version": 2, "cluster_name": "c1", "nodes": {}}', "c1"),
        (b'  {\n "version":2,"cluster_name" : "c\\u0031.x" ,', "c1.x"),
        (b'{"cluster_name": "c1", "x": 1}', "c1"),
        (b'{"nodes": {"cluster_name": "c2"}, "cluster_name": "c1"}', "c1"),  # a nested key is never taken
        (b'{"nodes": {"cluster_name": "c2"}, "x": [1, {"y": "]"}]}', None),
        (b'{"tags": ["a", "}"], "cluster_name": "c1"}', "c1"),
        (b'{"x": "\\"cluster_name\\": \\"c2\\"", "cluster_name": "c1", "y": 1}', "c1"),
        (b'{"cluster_name": 5, "x": 1}', None),
        (b'{"cluster_name": "c1"}', "c1"),
        (b'{"nodes": {"a": 1}, "cluster_na', None),  # past the head's end
        (b'{"nodes": {"a": 1}, "cluster_name": "c1', None),
        (b"[1, 2]", None),
        (b"", None),
    ],
)
def test_peek_cluster_name_top_level_member_within_the_head(data, expected):
    assert peek_cluster_name(data) == expected


def test_peek_cluster_name_of_ganeti_ordered_document():
    assert peek_cluster_name(document("cluster1.example.com")) == "cluster1.example.com"


def test_upload_unpack_one_gzip_member_kept_as_received():
    body = gzip.compress(b'{"a": 1}')
    assert Upload(body, True, 100).unpack() == (b'{"a": 1}', body)
    assert Upload(b'{"a": 1}', False, 100).unpack() == (b'{"a": 1}', None)


def test_upload_size_of_gzip_content_from_its_trailer():
    doc = b'{"cluster_name": "c1"}' * 100
    assert Upload(gzip.compress(doc), True, LIMIT).size == len(doc)
    assert Upload(doc, False, LIMIT).size == len(doc)


def test_upload_unpack_several_members_joined_not_kept():
    # a stored document is unpacked with zlib, which reads one member only
    body = gzip.compress(b'{"a":') + gzip.compress(b" 1}")
    assert Upload(body, True, 100).unpack() == (b'{"a": 1}', None)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (gzip.compress(b"x" * 1000), 413, "the document is larger than 999 bytes"),
        (gzip.compress(b"x" * 100)[:-12], 400, "the gzip body is truncated"),
        (b"plain", 400, "the body is not valid gzip"),
    ],
)
def test_upload_unpack_bad_gzip_body_error(body, status, message):
    with pytest.raises(BodyError) as info:
        Upload(body, True, 999).unpack()
    assert info.value.status == status and str(info.value).startswith(message)


def test_peek_cluster_name_after_nested_members_as_ganeti_testdata_has_it():
    # hail-alloc-drbd.json: cluster_tags, nodegroups, ipolicy, enabled_hypervisors, then the name
    data = (TESTDATA / "hail-alloc-drbd.json").read_bytes()
    assert peek_cluster_name(data[:HEAD_BYTES]) == json.loads(data)["cluster_name"]
