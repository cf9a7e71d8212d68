"""The soak's size: the suite's default, or `make soak`'s through the environment."""

from __future__ import annotations

import os

ADMIN = "soak-admin-token-0123456789abcdef"
SESSION_KEY = "soak-session-key-0123456789abcdef0123456789"


def soak_seconds() -> float:
    return float(os.environ.get("IALLOCD_SOAK_SECONDS", "16"))


def soak_clusters() -> int:
    return int(os.environ.get("IALLOCD_SOAK_CLUSTERS", "6"))
