"""Fault tests of shim/iallocd over real HTTP: small stdlib services on loopback ports, the shim
run as a subprocess exactly as Ganeti runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.shim.fakes import (
    ANSWER,
    TOKEN,
    Received,
    answer_with,
    closed_url,
    error_body,
    fake_service,
    run_shim,
    silent_service,
    write_config,
    write_document,
)


def check_token(request: Received) -> tuple[int, bytes]:
    if request.headers.get("Authorization") != "Bearer " + TOKEN:
        return 401, error_body("unauthorized", "unknown token")
    return 200, ANSWER


def test_shim_service_down_clear_message_nonzero_fast(tmp_path):
    url = closed_url()
    config = write_config(tmp_path, [url], timeout="5")
    started = time.monotonic()
    result = run_shim(config, write_document(tmp_path))
    assert time.monotonic() - started < 5
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == f"iallocd: no iallocd service answered: {url}: Connection refused\n"


def test_shim_service_silent_gives_up_after_timeout(tmp_path):
    with silent_service() as url:
        config = write_config(tmp_path, [url], timeout="1")
        started = time.monotonic()
        result = run_shim(config, write_document(tmp_path))
        elapsed = time.monotonic() - started
    assert 1 <= elapsed < 4
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == f"iallocd: no iallocd service answered: {url}: no answer within 1 s\n"


def test_shim_first_url_down_second_answers(tmp_path):
    with fake_service(check_token) as service:
        config = write_config(tmp_path, [closed_url(), service.url])
        result = run_shim(config, write_document(tmp_path), "--ignore-soft-errors")
    assert (result.returncode, result.stdout, result.stderr) == (0, ANSWER, b"")
    assert service.received[0].params == ["--ignore-soft-errors"]
    assert service.received[0].path == "/allocate"


def test_shim_first_url_5xx_second_answers(tmp_path):
    with (
        fake_service(answer_with(503, error_body("store_unavailable", "db down"))) as sick,
        fake_service(check_token) as healthy,
    ):
        config = write_config(tmp_path, [sick.url, healthy.url])
        result = run_shim(config, write_document(tmp_path))
    assert (result.returncode, result.stdout) == (0, ANSWER)
    assert (len(sick.received), len(healthy.received)) == (1, 1)


def test_shim_all_down_fallback_iallocator_used(tmp_path):
    fallback = tmp_path / "hail"
    fallback.write_text(
        "#!/usr/bin/python3\nimport json, os, sys\n"
        "answer = {'success': True, 'info': 'fallback', 'result': sys.argv[1:], 'cwd': os.getcwd()}\n"
        "print(json.dumps(answer))\n"
    )
    fallback.chmod(0o755)
    config = write_config(tmp_path, [closed_url(), closed_url()], fallback=str(fallback))
    document = write_document(tmp_path)
    result = run_shim(config, document, "--ignore-soft-errors", "--foo=bar")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["result"] == [str(document), "--ignore-soft-errors", "--foo=bar"]
    assert answer["cwd"] == "/"
    assert b"running " + str(fallback).encode() in result.stderr


def test_shim_fallback_exit_status_passed_through(tmp_path):
    fallback = tmp_path / "failing-hail"
    fallback.write_text("#!/bin/sh\necho 'hail: cannot parse input' >&2\nexit 3\n")
    fallback.chmod(0o755)
    config = write_config(tmp_path, [closed_url()], fallback=str(fallback))
    result = run_shim(config, write_document(tmp_path))
    assert (result.returncode, result.stdout) == (3, b"")
    assert result.stderr.decode().splitlines()[-1] == "hail: cannot parse input"


def test_shim_wrong_token_rejected_names_cluster(tmp_path):
    with fake_service(check_token) as service:
        config = write_config(tmp_path, [service.url], token="stale-token")
        result = run_shim(config, write_document(tmp_path, cluster_name="prod1.example.org"))
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == (
        f"iallocd: token rejected for cluster prod1.example.org by {service.url}/allocate"
        " (HTTP 401 unauthorized: unknown token)\n"
    )


def test_shim_20mb_document_sent_gzip_whole(tmp_path):
    node = {"total_memory": 262144, "free_memory": 4096, "tags": ["rack:7"], "group": "g1"}
    nodes = {f"node{i:06d}.example.org": dict(node, free_memory=i % 65536) for i in range(190_000)}
    document = write_document(tmp_path, nodes=nodes)
    size = document.stat().st_size
    assert size > 20_000_000
    with fake_service(check_token) as service:
        config = write_config(tmp_path, [service.url])
        started = time.monotonic()
        result = run_shim(config, document)
        elapsed = time.monotonic() - started
    assert (result.returncode, result.stdout) == (0, ANSWER)
    received = service.received[0]
    assert received.headers["Content-Encoding"] == "gzip"
    assert int(received.headers["Content-Length"]) < size / 5
    assert received.body == document.read_bytes()
    assert elapsed < 10


def test_shim_garbage_answer_nonzero_nothing_printed(tmp_path):
    with fake_service(answer_with(200, b"<html><body>Login required</body></html>")) as service:
        config = write_config(tmp_path, [service.url])
        result = run_shim(config, write_document(tmp_path))
    assert (result.returncode, result.stdout) == (1, b"")
    assert b"returned an invalid iallocator answer: not JSON" in result.stderr


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=iallocd-test",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_shim_https_verified_with_ca_file(tmp_path, certificate):
    with fake_service(check_token, tls=certificate) as service:
        config = write_config(tmp_path, [service.url], ca_file=str(certificate[0]))
        result = run_shim(config, write_document(tmp_path))
    assert service.url.startswith("https://")
    assert (result.returncode, result.stdout, result.stderr) == (0, ANSWER, b"")


def test_shim_https_unknown_certificate_refused(tmp_path, certificate):
    with fake_service(check_token, tls=certificate) as service:
        config = write_config(tmp_path, [service.url])
        result = run_shim(config, write_document(tmp_path))
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == (
        f"iallocd: no iallocd service answered: {service.url}:"
        " certificate verify failed: self-signed certificate\n"
    )
    assert service.received == []
