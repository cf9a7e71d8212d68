"""Logging the in-process test client in to the console."""

from __future__ import annotations

import httpx

ORIGIN = {"Origin": "http://iallocd.test"}


async def log_in(client: httpx.AsyncClient, token: str, next_path: str = "/") -> httpx.Response:
    """POST the login form as the browser would; the client keeps the cookie."""
    return await client.post("/ui/login", data={"token": token, "next": next_path}, headers=ORIGIN)
