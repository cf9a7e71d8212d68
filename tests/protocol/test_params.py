"""parse_params: `--key[=value]` arguments."""

from __future__ import annotations

import pytest

from app.protocol import ParameterError, parse_params


def test_parse_params_flag_and_value_parsed() -> None:
    args = ["--ignore-soft-errors", "--restrict-allocation-to=node1,node2", "--x="]
    assert parse_params(args) == {
        "ignore-soft-errors": None,
        "restrict-allocation-to": "node1,node2",
        "x": "",
    }


def test_parse_params_value_with_equals_kept_whole() -> None:
    assert parse_params(["--tag=a=b"]) == {"tag": "a=b"}


def test_parse_params_later_duplicate_wins() -> None:
    assert parse_params(["--a=1", "--b", "--a=2", "--b=x"]) == {"a": "2", "b": "x"}


def test_parse_params_none_given_empty() -> None:
    assert parse_params([]) == {}


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("-v", "-v: expected --key or --key=value"),
        ("key=value", "key=value: expected --key or --key=value"),
        ("", '"": expected --key or --key=value'),
        ("--", "--: empty parameter name"),
        ("--=x", "--=x: empty parameter name"),
    ],
)
def test_parse_params_malformed_argument_fails_naming_it(arg: str, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        parse_params(["--ok", arg])
    assert str(info.value) == message
    assert info.value.path == (arg or '""')
