"""Signed console sessions: what is in the cookie, and what makes it invalid."""

from __future__ import annotations

from app.core.sessions import SessionClaims, random_session_key, read_session, sign_session

KEY = b"k" * 32


def test_session_round_trip_without_the_token():
    claims = SessionClaims("c1", "ab" * 32, 2000)
    value = sign_session(claims, KEY)
    assert read_session(value, KEY, 1999) == claims
    assert read_session(sign_session(SessionClaims(None, "cd", 2000), KEY), KEY, 0) == SessionClaims(
        None, "cd", 2000
    )


def test_session_expired_wrong_key_or_tampered_refused():
    value = sign_session(SessionClaims("c1", "ab", 2000), KEY)
    assert read_session(value, KEY, 2000) is None
    assert read_session(value, random_session_key(), 0) is None
    payload, _, mac = value.partition(".")
    forged = sign_session(SessionClaims(None, "ab", 2000), b"x" * 32).partition(".")[0]
    assert read_session(f"{forged}.{mac}", KEY, 0) is None
    assert read_session(payload, KEY, 0) is None and read_session("", KEY, 0) is None


def test_session_signed_but_malformed_refused():
    import base64
    import hashlib
    import hmac

    for body in [b"[]", b"{}", b'{"c": 1, "d": "x", "e": 5}', b'{"c": null, "d": "x", "e": "5"}', b"\xff"]:
        payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        mac = base64.urlsafe_b64encode(hmac.new(KEY, payload.encode(), hashlib.sha256).digest())
        assert read_session(f"{payload}.{mac.rstrip(b'=').decode()}", KEY, 0) is None, body
