"""Bearer tokens: made here, stored only as sha256 digests, shown by a short id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from pydantic import SecretStr

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


def matches_token(presented: str, configured: SecretStr | None) -> bool:
    """Constant-time comparison with a configured token (the admin's, the metrics reader's);
    never matches when it is unset."""
    if configured is None:
        return False
    return hmac.compare_digest(presented.encode(), configured.get_secret_value().encode())
