"""Error bodies: always JSON {"error", "detail"}, never a traceback."""

from __future__ import annotations

import pytest

from tests.api.conftest import ADMIN

pytestmark = pytest.mark.anyio


async def test_unknown_route_404_json(client):
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


async def test_wrong_method_405_json(client):
    response = await client.get("/allocate")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_invalid_json_body_422_loc_msg_items(client):
    response = await client.post(
        "/admin/clusters", content=b"{", headers=ADMIN | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert set(body["detail"][0]) == {"loc", "msg"}
