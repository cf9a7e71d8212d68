"""Unit tests of shim/iallocd: main() with a fake send function, no network."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.shim.fakes import ANSWER, TOKEN, error_body, load_shim, write_config, write_document

shim = load_shim()
A, B = "http://a.example:8080", "https://b.example/iallocd/"


class FakeSend:
    """Answers per base URL: (status, body) or an exception to raise; records every call."""

    def __init__(self, **by_host: object) -> None:
        self.by_host = by_host
        self.calls: list[tuple[str, bytes, dict[str, str], float, str | None]] = []

    def __call__(self, url, body, headers, timeout, ca_file):
        self.calls.append((url, body, headers, timeout, ca_file))
        outcome = self.by_host[url.split("/")[2].split(".")[0]]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run(
    tmp_path: Path,
    send: FakeSend,
    *params: str,
    urls: Sequence[str] = (A, B),
    document: Path | None = None,
    **conf: str,
) -> int:
    config = write_config(tmp_path, list(urls), **conf)
    document = document or write_document(tmp_path)
    status: int = shim.main(["iallocd", str(document), *params], {"IALLOCD_CONFIG": str(config)}, send=send)
    return status


def test_main_answer_printed_unchanged_exit_0(tmp_path, capfdbinary):
    body = b'{"info": "ok",\n "result": ["n1"],  "success": true}'
    assert run(tmp_path, FakeSend(a=(200, body))) == 0
    out, err = capfdbinary.readouterr()
    assert (out, err) == (body, b"")


def test_main_success_false_answer_exit_0(tmp_path, capfdbinary):
    body = b'{"success": false, "info": "Request failed: no node has enough memory", "result": []}'
    assert run(tmp_path, FakeSend(a=(200, body))) == 0
    assert capfdbinary.readouterr().out == body


def test_main_request_gzip_bearer_token_and_params(tmp_path, capfdbinary):
    send = FakeSend(a=(200, ANSWER))
    params = ["--ignore-soft-errors", "--foo=bar baz&x=1", "--url=http://not-a-setting"]
    assert run(tmp_path, send, *params, timeout="7.5") == 0
    url, body, headers, timeout, ca_file = send.calls[0]
    assert url == A + "/allocate?param=--ignore-soft-errors&param=--foo%3Dbar+baz%26x%3D1" + (
        "&param=--url%3Dhttp%3A%2F%2Fnot-a-setting"
    )
    assert gzip.decompress(body) == (tmp_path / "input.json").read_bytes()
    assert headers["Authorization"] == "Bearer " + TOKEN
    assert headers["Content-Encoding"] == "gzip"
    assert (timeout, ca_file) == (7.5, None)


def test_main_url_with_prefix_and_no_params_keeps_prefix(tmp_path, capfdbinary):
    send = FakeSend(b=(200, ANSWER))
    assert run(tmp_path, send, urls=[B]) == 0
    assert send.calls[0][0] == "https://b.example/iallocd/allocate"


@pytest.mark.parametrize(
    "first",
    [
        shim.Unreachable("Connection refused"),
        shim.Unreachable("no answer within 60 s"),
        (500, error_body("internal", "boom")),
        (503, error_body("store_unavailable", "database down")),
        (504, error_body("timeout", "took too long")),
        (429, error_body("overloaded", "too many requests")),
    ],
)
def test_main_first_url_fails_next_url_answers(tmp_path, capfdbinary, first):
    send = FakeSend(a=first, b=(200, ANSWER))
    assert run(tmp_path, send) == 0
    assert [call[0].split("/")[2] for call in send.calls] == ["a.example:8080", "b.example"]
    assert capfdbinary.readouterr().out == ANSWER


def test_main_all_urls_fail_one_line_names_each_url_and_cause(tmp_path, capfdbinary):
    send = FakeSend(a=shim.Unreachable("Connection refused"), b=(502, b"<html>Bad gateway</html>"))
    assert run(tmp_path, send) == 1
    out, err = capfdbinary.readouterr()
    assert out == b""
    assert err.count(b"\n") == 1
    assert err.startswith(b"iallocd: no iallocd service answered:")
    assert f"{A}: Connection refused".encode() in err
    assert f"{B}: HTTP 502 <html>Bad gateway</html>".encode() in err


def test_main_all_urls_fail_fallback_runs_with_same_arguments(tmp_path, capfdbinary):
    executed = []

    def execv(path, args):
        executed.append((path, args))
        raise SystemExit(0)

    config = write_config(tmp_path, [A], fallback="hail")
    document = write_document(tmp_path)
    argv = ["iallocd", str(document), "--ignore-soft-errors", "--x=1"]
    send = FakeSend(a=shim.Unreachable("Connection refused"))
    with pytest.raises(SystemExit):
        shim.main(argv, {"IALLOCD_CONFIG": str(config)}, send=send, execv=execv)
    hail = str(tmp_path / "hail")  # relative paths are relative to the config file
    assert executed == [(hail, [hail, *argv[1:]])]
    assert b"running " + hail.encode() in capfdbinary.readouterr().err


def test_main_fallback_missing_reports_it(tmp_path, capfdbinary):
    send = FakeSend(a=shim.Unreachable("Connection refused"))
    assert run(tmp_path, send, urls=[A], fallback="/nonexistent/hail") == 1
    err = capfdbinary.readouterr().err.decode()
    assert err.splitlines()[-1] == "iallocd: fallback /nonexistent/hail cannot run: No such file or directory"


@pytest.mark.parametrize("status", [401, 403])
def test_main_token_refused_names_cluster_and_stops(tmp_path, capfdbinary, status):
    send = FakeSend(a=(status, error_body("forbidden", "token is for cluster c2")), b=(200, ANSWER))
    document = write_document(tmp_path, cluster_name="c1.example.org")
    assert run(tmp_path, send, document=document) == 1
    out, err = capfdbinary.readouterr()
    assert out == b"" and len(send.calls) == 1
    assert b"token rejected for cluster c1.example.org" in err
    assert b"token is for cluster c2" in err


def test_main_token_refused_document_without_cluster_name_says_so(tmp_path, capfdbinary):
    document = tmp_path / "list.json"
    document.write_text("[]")
    assert run(tmp_path, FakeSend(a=(401, b"")), document=document) == 1
    assert b"token rejected for cluster (document without cluster_name)" in capfdbinary.readouterr().err


@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (
            422,
            error_body("invalid_input", [{"loc": ["body", "nodes", "n1"], "msg": "field required"}]),
            "(HTTP 422): invalid_input: body.nodes.n1: field required",
        ),
        (
            400,
            error_body("invalid_input", "request.type: unknown type 'bogus'"),
            "(HTTP 400): invalid_input: request.type: unknown type 'bogus'",
        ),
        (413, error_body("too_large", {"limit_bytes": 64}), '(HTTP 413): too_large: {"limit_bytes": 64}'),
        (404, b"Not Found\n\n", "(HTTP 404): Not Found"),
    ],
)
def test_main_input_refused_shows_detail_one_line_and_stops(tmp_path, capfdbinary, status, body, shown):
    send = FakeSend(a=(status, body), b=(200, ANSWER))
    assert run(tmp_path, send) == 1
    out, err = capfdbinary.readouterr()
    assert out == b"" and len(send.calls) == 1
    assert err.decode() == f"iallocd: {A}/allocate refused the request {shown}\n"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Welcome to nginx</html>",
        b"",
        b"[]",
        b'{"success": true, "info": "no result"}',
        b'{"success": "yes", "info": "", "result": []}',
        b'{"success": true, "info": null, "result": []}',
        b"\xff\xfe",
    ],
)
def test_main_invalid_answer_nonzero_never_printed(tmp_path, capfdbinary, body):
    assert run(tmp_path, FakeSend(a=(200, body), b=(200, ANSWER))) == 1
    out, err = capfdbinary.readouterr()
    assert out == b""
    assert err.startswith(f"iallocd: {A}/allocate returned an invalid iallocator answer:".encode())
    assert err.count(b"\n") == 1


def test_main_unexpected_error_one_line_not_traceback(tmp_path, capfdbinary):
    assert run(tmp_path, FakeSend(a=RuntimeError("surprise\nsecond line"))) == 1
    assert capfdbinary.readouterr().err == b"iallocd: internal error: RuntimeError: surprise second line\n"


def test_main_no_input_file_usage_exit_2(capfdbinary):
    assert shim.main(["iallocd"], {}) == 2
    assert b"usage: iallocd INPUT_FILE" in capfdbinary.readouterr().err


def test_main_unreadable_input_file_nonzero(tmp_path, capfdbinary):
    assert run(tmp_path, FakeSend(), document=tmp_path / "missing.json") == 1
    assert b"cannot read input file" in capfdbinary.readouterr().err


def load(tmp_path: Path, environ: dict[str, str] | None = None, text: str | None = None) -> Any:
    config = tmp_path / "iallocd.conf"
    if text is not None:
        config.write_text(text)
    return shim.load_config({"IALLOCD_CONFIG": str(config), **(environ or {})})


def test_load_config_urls_separated_by_commas_spaces_newlines(tmp_path):
    text = "[iallocd]\nurls = http://a:1, http://b:2  http://c:3\n  https://d\ntoken = t\n"
    conf = load(tmp_path, text=text)
    assert conf.urls == ["http://a:1", "http://b:2", "http://c:3", "https://d"]
    assert (conf.token, conf.timeout, conf.ca_file, conf.fallback) == ("t", 90.0, None, None)


def test_load_config_environment_overrides_urls_and_token_file(tmp_path):
    (tmp_path / "other.token").write_text("from-env\n")
    text = "[iallocd]\nurls = http://a\ntoken = from-config\n"
    environ = {"IALLOCD_URL": "http://x,http://y", "IALLOCD_TOKEN_FILE": str(tmp_path / "other.token")}
    conf = load(tmp_path, environ, text)
    assert (conf.urls, conf.token) == (["http://x", "http://y"], "from-env")


def test_load_config_relative_paths_from_config_directory(tmp_path):
    (tmp_path / "tok").write_text("t\n")
    conf = load(
        tmp_path, text="[iallocd]\nurls=https://a\ntoken_file=tok\nca_file=ca.pem\nfallback=/usr/x/hail\n"
    )
    assert (conf.token, conf.ca_file, conf.fallback) == ("t", str(tmp_path / "ca.pem"), "/usr/x/hail")


def test_load_config_no_file_but_url_in_environment_uses_it(tmp_path):
    (tmp_path / "tok").write_text("t")
    environ = {"IALLOCD_URL": "http://x", "IALLOCD_TOKEN_FILE": str(tmp_path / "tok")}
    conf = shim.load_config(environ)  # the default /etc/ganeti/iallocd.conf does not exist here
    assert (conf.urls, conf.token) == (["http://x"], "t")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "configuration {dir}/iallocd.conf not found"),
        ("urls = http://a\n", "cannot read configuration {dir}/iallocd.conf: line 1: no [section] header"),
        ("[other]\nurls = http://a\n", "{dir}/iallocd.conf has no [iallocd] section"),
        ("[iallocd]\ntoken = t\n", "no service URL: set urls in {dir}/iallocd.conf"),
        ("[iallocd]\nurls = a.example:80\ntoken = t\n", "bad service URL 'a.example:80'"),
        ("[iallocd]\nurls = http://a:port\ntoken = t\n", "bad service URL 'http://a:port'"),
        ("[iallocd]\nurls = http://a\n", "no token: set token_file (or token) in {dir}/iallocd.conf"),
        ("[iallocd]\nurls = http://a\ntoken = two words\n", "the token has spaces or non-ASCII"),
        ("[iallocd]\nurls = http://a\ntoken_file = nope\n", "cannot read token file {dir}/nope: No such"),
        ("[iallocd]\nurls = http://a\ntoken = t\ntimeout = soon\n", "timeout in {dir}/iallocd.conf must be"),
        ("[iallocd]\nurls = http://a\ntoken = t\ntimeout = 0\n", "timeout in {dir}/iallocd.conf must be"),
    ],
)
def test_load_config_unusable_configuration_exit_2_with_reason(tmp_path, text, message):
    with pytest.raises(shim.ShimError) as caught:
        load(tmp_path, text=text)
    assert caught.value.status == 2
    assert message.format(dir=tmp_path) in str(caught.value)


def test_error_detail_unknown_shapes_are_one_line():
    assert shim.error_detail(json.dumps({"detail": "a\nb"}).encode()) == "a b"
    assert shim.error_detail(b'"just a string"') == '"just a string"'
    assert shim.error_detail(b"x" * 1000).endswith("...")
