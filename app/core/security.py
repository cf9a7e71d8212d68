"""Bearer tokens: made here, stored only as sha256 digests, shown by a short id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "iad_"
TOKEN_ID_LENGTH = 8


def new_token() -> str:
    """A fresh token: `iad_` and 43 url-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps: the sha256 of the token, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The token's display id: its first random characters, enough to tell tokens apart."""
    return token.removeprefix(TOKEN_PREFIX)[:TOKEN_ID_LENGTH]


def is_admin_token(presented: str, admin_token: str | None) -> bool:
    """Constant-time comparison with the configured admin token (never matches when unset)."""
    return admin_token is not None and hmac.compare_digest(presented.encode(), admin_token.encode())
