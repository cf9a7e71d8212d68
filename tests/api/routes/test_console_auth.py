"""Console login: tokens checked as the API checks them, the signed cookie, logout, revocation."""

from __future__ import annotations

import pytest

from app.api.console.session import COOKIE
from tests.api.conftest import ADMIN, ADMIN_TOKEN, register
from tests.api.console.helpers import ORIGIN, log_in

pytestmark = pytest.mark.anyio


async def test_login_form_renders(client):
    response = await client.get("/ui/login", params={"next": "/ui/clusters/c1"})
    assert response.status_code == 200 and 'name="token"' in response.text
    assert 'value="/ui/clusters/c1"' in response.text


async def test_page_without_session_redirects_to_login_303(client):
    for path in ["/", "/ui/clusters/c1", "/ui/decisions/x", "/ui/decisions/x/document"]:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=" + path.split("?")[0][:4])


async def test_login_admin_sets_signed_httponly_strict_cookie(client):
    response = await log_in(client, ADMIN_TOKEN, "/ui/clusters/c1")
    assert response.status_code == 303 and response.headers["location"] == "/ui/clusters/c1"
    header = response.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=") and "HttpOnly" in header and "SameSite=strict" in header
    assert "Secure" not in header  # plain http here
    assert ADMIN_TOKEN not in header
    assert (await client.get("/")).status_code == 200


async def test_login_over_https_sets_secure_cookie(client):
    client.base_url = "https://iallocd.test"
    response = await client.post(
        "/ui/login", data={"token": ADMIN_TOKEN}, headers={"Origin": "https://iallocd.test"}
    )
    assert "Secure" in response.headers["set-cookie"]


async def test_login_cluster_token_sees_own_cluster_only(client):
    c1 = await register(client, "c1")
    await register(client, "c2")
    assert (await log_in(client, c1.token)).status_code == 303
    fleet = await client.get("/")
    assert "/ui/clusters/c1" in fleet.text and "/ui/clusters/c2" not in fleet.text


async def test_login_bad_token_401_no_cookie(client):
    response = await log_in(client, "iad_not-a-token")
    assert response.status_code == 401 and "Unknown token" in response.text
    assert "set-cookie" not in response.headers


async def test_login_other_origin_403(client):
    response = await client.post(
        "/ui/login", data={"token": ADMIN_TOKEN}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers
    no_origin = await client.post("/ui/login", data={"token": ADMIN_TOKEN})
    assert no_origin.status_code == 403
    referer = await client.post(
        "/ui/login", data={"token": ADMIN_TOKEN}, headers={"Referer": "http://iallocd.test/ui/login"}
    )
    assert referer.status_code == 303


async def test_login_next_elsewhere_goes_to_fleet(client):
    for target in ["//evil.example/", "https://evil.example/", "/\\evil.example"]:
        response = await log_in(client, ADMIN_TOKEN, target)
        assert response.headers["location"] == "/"


async def test_login_form_unreadable_400(client):
    headers = ORIGIN | {"Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/ui/login", content=b"token=\xff\xfe", headers=headers)
    assert response.status_code == 400
    assert (await client.post("/ui/login", content=b"a" * 5000, headers=headers)).status_code == 413


async def test_logout_clears_session(client):
    await log_in(client, ADMIN_TOKEN)
    response = await client.post("/ui/logout", headers=ORIGIN)
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"
    assert (await client.get("/")).status_code == 303


async def test_revoked_token_logs_out(client):
    c1 = await register(client, "c1")
    await log_in(client, c1.token)
    assert (await client.get("/ui/clusters/c1")).status_code == 200
    rotated = await client.post("/admin/clusters/c1/tokens", json={"revoke_others": True}, headers=ADMIN)
    assert rotated.status_code == 201, rotated.text
    assert (await client.get("/ui/clusters/c1")).status_code == 303


async def test_tampered_cookie_refused(client):
    c1 = await register(client, "c1")
    await log_in(client, c1.token)
    value = client.cookies[COOKIE]
    payload, _, mac = value.partition(".")
    for forged in [payload + "." + mac[:-2] + "AA", payload[:-2] + "e3." + mac, "garbage", ""]:
        client.cookies.set(COOKIE, forged)
        assert (await client.get("/")).status_code == 303, forged


async def test_session_from_another_key_refused(serve):
    async with serve(session_key="k" * 32) as first:
        await log_in(first, ADMIN_TOKEN)
        cookie = first.cookies[COOKIE]
    async with serve(session_key="other-" + "k" * 32) as second:
        second.cookies.set(COOKIE, cookie)
        assert (await second.get("/")).status_code == 303
    async with serve(session_key="k" * 32) as again:  # the same key: a replica or a restart
        again.cookies.set(COOKIE, cookie)
        assert (await again.get("/")).status_code == 200
