"""The shim's own readers of what configparser, urllib.parse, json and socket would read (each
costs ms at every call): the INI file, the service URL, the query string, the answer and the
connection, checked against the real modules."""

from __future__ import annotations

import configparser
import json
import socket
import subprocess
import urllib.parse

import pytest
from hypothesis import given, strategies as st

from tests.shim.fakes import SHIM, load_shim

shim = load_shim()
DEFAULT_PORTS = {"http": 80, "https": 443}


def lines_of(values: dict[str, str]) -> dict[str, list[str]]:
    """A section's values as their non-empty lines: the shim drops the empty lines within a
    continued value (configparser keeps them), which a list of URLs does not care about."""
    return {key: [line for line in value.split("\n") if line] for key, value in values.items()}


def configparser_sections(text: str) -> dict[str, dict[str, list[str]]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return {name: lines_of(dict(parser.items(name))) for name in parser.sections()}


def shim_sections(text: str) -> dict[str, dict[str, list[str]]]:
    """As load_config uses them: [DEFAULT]'s values in every section."""
    sections = shim.read_ini(text)
    defaults = sections.pop("DEFAULT", {})
    return {name: lines_of({**defaults, **values}) for name, values in sections.items()}


@pytest.mark.parametrize(
    "text",
    [
        "[iallocd]\nurls = http://a:1, http://b:2\n  https://d\ntoken = t\n",
        "[iallocd]\nURLS: http://a\n# a comment\n; another\ntoken=t=1:2\n\n[other]\nx = y\n",
        "[DEFAULT]\ntimeout = 5\n[iallocd]\nurls = http://a\ntimeout = 7\n[b]\n",
        "[iallocd]\nurls =\n    http://a\n\n    http://b\nfallback = /usr/lib/hail # not a comment\n",
    ],
)
def test_read_ini_reads_what_configparser_reads(text):
    assert shim_sections(text) == configparser_sections(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("urls = http://a\n", "line 1: no [section] header before 'urls = http://a'"),
        ("[iallocd]\nurls\n", "line 2: not 'key = value': 'urls'"),
        ("[iallocd]\nurls = a\nURLS = b\n", "line 3: urls repeated in [iallocd]"),
        ("[iallocd]\n[iallocd]\n", "line 2: section [iallocd] repeated"),
    ],
)
def test_read_ini_refuses_what_configparser_refuses_naming_the_line(text, message):
    with pytest.raises(configparser.Error):
        configparser_sections(text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        shim.read_ini(text)


@pytest.mark.parametrize(
    "url",
    [
        "http://a",
        "HTTPS://B.example:8443/x/y?q=1#fragment",
        "http://[::1]:8080/prefix",
        "http://user:secret@h:81",
        "http://h?x=1",
        "https://b.example/iallocd/",
    ],
)
def test_split_url_reads_what_urlsplit_reads(url):
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    address = parts.netloc.rpartition("@")[2]
    assert shim.split_url(url) == (parts.scheme, parts.hostname, port, address, target)


@pytest.mark.parametrize(
    "url",
    [
        "a.example:80",
        "http://a:port",
        "http://a:0",
        "http://a:65536",
        "ftp://a",
        "http://",
        "http://:80",
        "http://[::1]x",
        "http://a:８０",
    ],
)
def test_split_url_refuses_what_is_no_http_url(url):
    with pytest.raises(ValueError):
        shim.split_url(url)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_quote_writes_what_urlencode_writes(value):
    assert "param=" + shim.quote(value) == urllib.parse.urlencode([("param", value)])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES, st.sampled_from(["", " ", "\n", " \t\r\n"]), st.booleans())
def test_json_loads_reads_what_json_reads(value, space, ascii_only):
    text = space + json.dumps(value, ensure_ascii=ascii_only) + space
    assert repr(shim.json_loads(text)) == repr(json.loads(text))  # repr: NaN equals itself


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "{",
        '{"a": 1} x',
        '{"a": 1}{}',
        "[1,]",
        '{"a" 1}',
        "\ufeff{}",
        '"\\x"',
        "nul",
        "01",
        '"a\nb"',
    ],
)
def test_json_loads_refuses_what_json_refuses_with_its_message(text):
    with pytest.raises(ValueError) as ours:
        shim.json_loads(text)
    with pytest.raises(ValueError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)


def test_connection_tries_each_address_of_the_host():
    """localhost may resolve to ::1 first; only 127.0.0.1 listens here."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        sock = shim.connection("localhost", port, 5.0)
        try:
            assert sock.getpeername() == ("127.0.0.1", port)
        finally:
            sock.close()
    with pytest.raises(OSError):
        shim.connection("127.0.0.1", port, 5.0)  # closed now: refused


def _read_from_disk(setup: str, measured: str) -> list[str]:
    """The modules read from disk (not built in, not frozen) while `measured` runs, in the Python
    Ganeti runs the shim with, after the shim is loaded as `ns` and `setup` has run."""
    code = (
        "import sys, _socket; ns = {'__name__': 'iallocd'}; "
        f"{setup}; before = set(sys.modules); {measured}; "
        "new = [sys.modules[name] for name in set(sys.modules) - before]; "
        "print(' '.join(m.__name__ for m in new if m.__spec__.origin not in ('built-in', 'frozen')))"
    )
    return subprocess.run(
        ["/usr/bin/python3", "-I", "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()


_LOAD_SHIM = f"exec(compile(open({str(SHIM)!r}).read(), 'iallocd', 'exec'), ns)"


def test_the_shim_imports_only_modules_built_into_the_interpreter():
    """Its start-up is the interpreter's: each module read from disk (not built in, not frozen)
    costs at every call, most of them ms; __future__ (annotations on 3.7) and _json (a small C
    extension on Debian) cost a tenth each."""
    read = _read_from_disk("pass", _LOAD_SHIM)
    assert set(read) <= {"__future__", "_json"}, read


def test_connecting_by_name_reads_no_module_from_disk():
    """A str host would go through the idna codec, which imports re and stringprep (5 ms)."""
    setup = f"{_LOAD_SHIM}; server = _socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()"
    read = _read_from_disk(setup, "ns['connection']('localhost', server.getsockname()[1], 5.0).close()")
    assert read == []
