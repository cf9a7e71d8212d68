"""Haskell's `show`, as hail prints values inside messages (app.engine.hshow)."""

from __future__ import annotations

import pytest

from app.engine.hshow import show_double, show_list, show_string


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4.0, "4.0"),
        (32.0, "32.0"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0e7"),
        (12345678.9, "1.23456789e7"),
        (0.05, "5.0e-2"),
        (1e-5, "1.0e-5"),
        (0.0, "0.0"),
        (-2.5, "-2.5"),
    ],
)
def test_show_double_like_ghc(value, shown):
    assert show_double(value) == shown


def test_show_string_escapes_like_ghc():
    assert show_string('a"b\\c') == '"a\\"b\\\\c"'
    assert show_string("é1") == '"\\233\\&1"'  # a decimal escape kept apart from a digit
    assert show_string("x\ny") == '"x\\ny"'


def test_show_list_has_no_spaces():
    assert show_list(["1", "2"]) == "[1,2]"
    assert show_list([]) == "[]"
