"""Bearer tokens: made here, stored only as sha256 digests, shown by a short id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

TOKEN_PREFIX = "iad_"
TOKEN_ID_LENGTH = 8
# Letters and digits only, so a token or its id never looks like a command-line option.
_ALPHABET = string.ascii_letters + string.digits


def new_token() -> str:
    """A fresh token: `iad_` and 43 letters or digits (256 random bits)."""
    return TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(43))


def token_digest(token: str) -> str:
    """What the store keeps: the sha256 of the token, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The token's display id: its first random characters, enough to tell tokens apart."""
    return token.removeprefix(TOKEN_PREFIX)[:TOKEN_ID_LENGTH]


def is_admin_token(presented: str, admin_token: str | None) -> bool:
    """Constant-time comparison with the configured admin token (never matches when unset)."""
    return admin_token is not None and hmac.compare_digest(presented.encode(), admin_token.encode())
