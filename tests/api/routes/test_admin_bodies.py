"""The admin API's bodies: read only once the caller is authenticated, and at most 64 KiB."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.api.json_body import JSON_BODY_BYTES
from tests.api.conftest import ADMIN, bearer, register

pytestmark = pytest.mark.anyio

ROUTES = [
    ("POST", "/admin/clusters"),
    ("POST", "/admin/clusters/c1/tokens"),
    ("PUT", "/admin/clusters/c1/policy"),
]
CHUNK = b"x" * (1 << 20)


class Stream:
    """A request body of `chunks` MiB of junk, counting how many of them were read."""

    def __init__(self, chunks: int = 64) -> None:
        self.chunks = chunks
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"{not json"
        for _ in range(self.chunks):
            self.read += 1
            yield CHUNK


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("headers", [{}, bearer("iad_wrong"), {"Authorization": "Basic eDp5"}])
async def test_unauthenticated_huge_malformed_body_401_unread(client, method, path, headers):
    body = Stream()
    response = await client.request(method, path, content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert body.read == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_cluster_token_huge_body_403_unread(client, method, path):
    c1 = await register(client, "c1")
    body = Stream()
    response = await client.request(method, path, content=body, headers=c1.headers)
    assert response.status_code == 403
    assert body.read == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_admin_over_limit_body_413_naming_the_limit(client, method, path):
    await register(client, "c1")
    body = Stream()
    response = await client.request(method, path, content=body, headers=ADMIN)
    assert response.status_code == 413
    assert response.json() == {
        "error": "too_large",
        "detail": f"the body is larger than {JSON_BODY_BYTES} bytes",
    }
    assert body.read == 1  # stopped at the first chunk past the limit


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_admin_declared_over_limit_413_before_reading(client, method, path):
    await register(client, "c1")
    body = Stream()
    headers = ADMIN | {"Content-Length": str(JSON_BODY_BYTES + 1)}
    response = await client.request(method, path, content=body, headers=headers)
    assert response.status_code == 413
    assert body.read == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("content", "loc"), [(b"{not json", "body"), (b"[1]", "body"), (b'{"x": 1}', "body.x")]
)
async def test_admin_bad_body_422_names_the_field(client, method, path, content, loc):
    await register(client, "c1")
    response = await client.request(method, path, content=content, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert loc in [item["loc"] for item in response.json()["detail"]]


async def test_admin_body_at_the_limit_is_read(client):
    await register(client, "c1")
    content = b'{"params": []}'.ljust(JSON_BODY_BYTES)
    response = await client.put("/admin/clusters/c1/policy", content=content, headers=ADMIN)
    assert response.status_code == 200
