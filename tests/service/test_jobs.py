"""The engine jobs: decide, explain and capacity as values crossing the process boundary."""

from __future__ import annotations

import gzip
import json
import pickle
import zlib

import pytest

from app.api import examples
from app.api.schemas import ExplainPublic
from app.service import jobs
from app.service.jobs import (
    Afterwards,
    CapacityJob,
    Crashed,
    Decided,
    DecideJob,
    ExplainJob,
    InstanceProbe,
    Rejected,
    Reported,
    execute,
)
from app.service.upload import KeptDocument, Upload, unpack_document
from tests.api.fakes import document, fake_answer
from tests.support import docs as d

LIMIT = 1 << 20
CLUSTER = "cluster.example.com"  # the name tests.support.docs documents carry


def _decide(
    data: bytes, params: list[str], keep_max: int, gzipped: bool = False, cluster: str = "c1"
) -> object:
    job = DecideJob(fake_answer, Upload(data, gzipped, LIMIT), cluster, params, ["--b"], keep_max)
    return execute(job, Afterwards())


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


def test_decide_gzip_bomb_rejected_with_status_and_no_location():
    job = DecideJob(fake_answer, Upload(gzip.compress(b" " * 2000), True, 100), "c1", [], [], 0)
    result = execute(job, Afterwards())
    assert result == Rejected("too_large", None, "the document is larger than 100 bytes", 413)


def test_decide_leaves_the_document_to_afterwards(monkeypatch):
    trimmed: list[bool] = []
    monkeypatch.setattr(jobs, "release_memory", lambda: trimmed.append(True))
    monkeypatch.setattr(jobs, "TRIM_AFTER", 0)  # every document counts as large
    after = Afterwards()
    result = execute(DecideJob(fake_answer, Upload(document("c1"), False, LIMIT), "c1", [], [], 0), after)
    assert isinstance(result, Decided)
    assert len(after) == 1 and after[0]["cluster_name"] == "c1"  # type: ignore[index]
    assert trimmed == []  # nothing freed before the answer leaves
    del after
    assert trimmed == [True]
    del result
    Afterwards()  # an empty one (the caller's copy) frees and trims nothing
    assert trimmed == [True]


def test_decide_trims_the_heap_only_after_a_large_document(monkeypatch):
    trimmed: list[int] = []
    monkeypatch.setattr(jobs, "release_memory", lambda: trimmed.append(1))
    data = document("c1")
    job = DecideJob(fake_answer, Upload(data, False, LIMIT), "c1", [], [], 0)
    for limit in (len(data) + 1, len(data)):  # just under the size to trim after, then at it
        monkeypatch.setattr(jobs, "TRIM_AFTER", limit)
        after = Afterwards()
        assert isinstance(execute(job, after), Decided)
        del after
    assert trimmed == [1]


def test_decide_document_of_another_cluster_refused_before_the_engine_runs():
    # test_raise would crash the engine: the check comes first
    result = _decide(document("c2", test_raise=True), [], keep_max=0, cluster="c1")
    assert result == Rejected("forbidden", None, "the document is for 'c2', not 'c1'", 403)


def test_decide_document_naming_no_cluster_taken_as_the_requests():
    assert isinstance(_decide(document(""), [], keep_max=0, cluster="c1"), Decided)


def test_explain_job_of_a_move_picklable_with_its_moves():
    data = json.dumps(examples.EVACUATE_REQUEST).encode()
    job = jobs.ExplainJob(Upload(data, False, LIMIT), "cluster1.example.com", [], [], 3)
    result = execute(job, Afterwards())
    assert isinstance(result, jobs.Reported)
    body = pickle.loads(pickle.dumps(result)).body
    assert [m["candidates"][0]["nodes"] for m in body["moves"]] == [body["answer"]["result"][0][0][2]]
    assert ExplainPublic.model_validate(body).model_dump() == body


@pytest.mark.parametrize("pack", [lambda d: zlib.compress(d, 1), gzip.compress])
def test_kept_document_read_as_an_upload_with_its_real_size(pack):
    doc = d.encode(d.document({f"n{i}": d.node() for i in range(40)}))
    kept = KeptDocument(pack(doc), len(doc))
    probe = InstanceProbe(512, 1, "plain", ((1024, None),))
    counted = CapacityJob(kept, CLUSTER, (), probe, [], [], 10, 1.0)
    explained = ExplainJob(kept, CLUSTER, [], [], 3)
    assert counted.size == explained.size == len(doc) > 4 * len(kept.content)  # the lane it runs in
    for job in (counted, explained):
        assert isinstance(execute(job, Afterwards()), Reported)
    assert execute(CapacityJob(kept, "c2", (), probe, [], [], 10, 1.0), Afterwards()).status == 403
