"""Console session cookies: who is logged in (the admin or one cluster), the digest of the token
they logged in with, and an expiry, signed with HMAC-SHA256. The token itself is never in it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class SessionClaims:
    """A logged-in operator: `cluster` None is the admin; `digest` is the token's sha256."""

    cluster: str | None
    digest: str
    expires: int  # Unix time


def random_session_key() -> bytes:
    """The key of a process without IALLOCD_SESSION_KEY (its sessions end when it stops)."""
    return secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def sign_session(claims: SessionClaims, key: bytes) -> str:
    """The cookie value: base64url(JSON claims) '.' base64url(HMAC-SHA256)."""
    body = {"c": claims.cluster, "d": claims.digest, "e": claims.expires}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_mac(key, payload)}"


def read_session(value: str, key: bytes, now: float) -> SessionClaims | None:
    """The claims of a cookie signed with `key` and not expired at `now`; None otherwise."""
    payload, _, mac = value.partition(".")
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        return None
    try:
        body = json.loads(_unb64(payload))
        claims = SessionClaims(body["c"], body["d"], body["e"])
    except (ValueError, KeyError, TypeError):
        return None
    valid = (claims.cluster is None or isinstance(claims.cluster, str)) and isinstance(claims.digest, str)
    if not valid or not isinstance(claims.expires, int) or claims.expires <= now:
        return None
    return claims
