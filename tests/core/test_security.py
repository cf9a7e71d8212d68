"""Tokens."""

from __future__ import annotations

import re

from pydantic import SecretStr

from app.core.security import matches_token, new_token, token_digest, token_id


def test_new_token_letters_digits_and_unique():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"iad_[A-Za-z0-9]{43}", t) for t in tokens)


def test_token_digest_is_sha256_hex():
    assert token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_token_id_first_characters_after_prefix():
    assert token_id("iad_abcdefghXYZ") == "abcdefgh"


def test_matches_token_unset_never_matches():
    assert not matches_token("", None)
    assert matches_token("x" * 16, SecretStr("x" * 16))
    assert not matches_token("x" * 15, SecretStr("x" * 16))
