"""What runs in the engine processes: decide, and reading the cluster name cheaply."""

from __future__ import annotations

import gzip
import json
import pickle
import zlib

import pytest

from app.core import worker
from app.core.worker import (
    Afterwards,
    BodyError,
    Crashed,
    Decided,
    Rejected,
    Upload,
    decide,
    peek_cluster_name,
    read_cluster_name,
    unpack_document,
)
from tests.api.fakes import document, fake_answer

LIMIT = 1 << 20


def _decide(data: bytes, params: list[str], keep_max: int, gzipped: bool = False) -> object:
    return decide(fake_answer, Afterwards(), Upload(data, gzipped, LIMIT), params, ["--b"], keep_max)


def test_decide_answer_becomes_picklable_decided():
    doc = document("c1")
    result = _decide(doc, ["--a"], keep_max=len(doc))
    assert isinstance(result, Decided)
    assert pickle.loads(pickle.dumps(result)) == result
    assert result.document is not None and zlib.decompress(result.document) == doc
    assert result.outcome.summary.nodes == 3 and result.document_size == len(doc)


def test_decide_keeps_the_gzip_body_as_received():
    doc = document("c1")
    body = gzip.compress(doc)
    result = _decide(body, [], keep_max=len(doc), gzipped=True)
    assert isinstance(result, Decided) and result.document is body
    assert unpack_document(body) == doc == unpack_document(zlib.compress(doc))


def test_decide_cap_is_on_the_compressed_document():
    doc = document("c1")
    kept = zlib.compress(doc, 1)
    result = _decide(doc, [], keep_max=len(kept))
    assert isinstance(result, Decided) and result.document == kept and len(kept) < len(doc)


def test_decide_document_over_cap_not_kept():
    doc = document("c1")
    result = _decide(doc, [], keep_max=len(zlib.compress(doc, 1)) - 1)
    assert isinstance(result, Decided) and result.document is None


@pytest.mark.parametrize(
    ("data", "params", "expected"),
    [
        (b"[", [], Rejected("bad_document", "", "not valid JSON: Expecting value: line 1 column 2 (char 1)")),
        (
            document("c1"),
            ["--reject"],
            Rejected("bad_parameter", "--reject", "not a parameter the engine knows"),
        ),
    ],
)
def test_decide_input_error_becomes_rejected(data, params, expected):
    assert _decide(data, params, keep_max=0) == expected


def test_decide_engine_bug_becomes_crashed_with_trace():
    result = _decide(document("c1", test_raise=True), [], keep_max=0)
    assert isinstance(result, Crashed)
    assert result.error == "RuntimeError: engine bug" and "Traceback" in result.trace


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"version": 2, "cluster_name": "c1", "nodes": {}}', "c1"),
        (b'  {\n "version":2,"cluster_name" : "c\\u0031.x" ,', "c1.x"),
        (b'{"cluster_name": "c1", "x": 1}', "c1"),
        (b'{"nodes": {"cluster_name": "c2"}, "cluster_name": "c1"}', None),  # a nested key is never taken
        (b'{"x": "\\"cluster_name\\": \\"c2\\"", "cluster_name": "c1", "y": 1}', "c1"),
        (b'{"cluster_name": 5, "x": 1}', None),
        (b'{"cluster_name": "c1"}', None),  # the last member: left to the full parse
        (b"[1, 2]", None),
        (b"", None),
    ],
)
def test_peek_cluster_name_only_leading_top_level_scalars(data, expected):
    assert peek_cluster_name(data) == expected


def test_peek_cluster_name_of_ganeti_ordered_document():
    assert peek_cluster_name(document("cluster1.example.com")) == "cluster1.example.com"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (json.dumps({"nodes": {}, "cluster_name": "c1"}).encode(), "c1"),
        (
            b"{",
            Rejected("bad_document", "", "not valid JSON: unexpected end of data: line 1 column 2 (char 1)"),
        ),
        (b"{}", Rejected("bad_document", "cluster_name", "missing or empty: the admin token needs it")),
        (
            b'{"cluster_name": ""}',
            Rejected("bad_document", "cluster_name", "missing or empty: the admin token needs it"),
        ),
        (b"[]", Rejected("bad_document", "cluster_name", "missing or empty: the admin token needs it")),
    ],
)
def test_read_cluster_name_full_parse(data, expected):
    assert read_cluster_name(Upload(data, False, LIMIT)) == expected
    assert read_cluster_name(Upload(gzip.compress(data), True, LIMIT)) == expected


def test_read_cluster_name_bad_gzip_rejected_without_location():
    reason = "the body is not valid gzip: Error -3 while decompressing data: incorrect header check"
    assert read_cluster_name(Upload(b"{}", True, LIMIT)) == Rejected("bad_request", None, reason)


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


def test_decide_gzip_bomb_rejected_with_status_and_no_location():
    result = decide(fake_answer, Afterwards(), Upload(gzip.compress(b" " * 2000), True, 100), [], [], 0)
    assert result == Rejected("too_large", None, "the document is larger than 100 bytes", 413)


def test_decide_leaves_the_document_to_afterwards(monkeypatch):
    trimmed: list[bool] = []
    monkeypatch.setattr(worker, "release_memory", lambda: trimmed.append(True))
    after = Afterwards()
    result = decide(fake_answer, after, Upload(document("c1"), False, LIMIT), [], [], 0)
    assert isinstance(result, Decided)
    assert len(after) == 1 and after[0]["cluster_name"] == "c1"  # type: ignore[index]
    assert trimmed == []  # nothing freed before the answer leaves
    del after
    assert trimmed == [True]
    del result
    Afterwards()  # an empty one (the caller's copy) frees and trims nothing
    assert trimmed == [True]
