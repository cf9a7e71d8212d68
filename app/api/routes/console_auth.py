"""Console login and logout: the only forms the console posts (same-origin checked)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.api.body import read_body
from app.api.console.render import ConsoleError, page
from app.api.console.session import LOGIN, check_same_origin, clear_session, login, safe_next, set_session
from app.api.deps import ServiceDep, auth_failed, client_address, refuse_if_limited
from app.api.errors import ApiError

router = APIRouter(prefix="/ui", include_in_schema=False)
MAX_FORM_BYTES = 4096


@router.get("/login")
def login_form(
    request: Request, target: Annotated[str | None, Query(alias="next", max_length=2000)] = None
) -> HTMLResponse:
    """The login form."""
    return page(request, "login.html", next=safe_next(target), error=None)


async def _form(request: Request) -> dict[str, str]:
    try:
        body = await read_body(request, MAX_FORM_BYTES, "the form")
    except ApiError as exc:
        raise ConsoleError(exc.status, str(exc.detail)) from None
    try:
        fields = parse_qs(body.decode(), max_num_fields=8)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConsoleError(400, "the form cannot be read") from exc
    return {key: values[0] for key, values in fields.items()}


@router.post("/login", dependencies=[Depends(check_same_origin)])
async def login_submit(request: Request, service: ServiceDep) -> Response:
    """Check the token as the API does; set the session cookie and go where the user was going."""
    form = await _form(request)
    target = safe_next(form.get("next"))
    address = client_address(request)
    try:
        refuse_if_limited(service, address)
    except ApiError as exc:
        wait = exc.headers["Retry-After"]
        refused = page(
            request, "login.html", 429, next=target, error=f"Too many failed logins: retry in {wait} s."
        )
        refused.headers["Retry-After"] = wait
        return refused
    claims = await anyio.to_thread.run_sync(login, form.get("token", "").strip(), service)
    if claims is None:
        auth_failed(service, address, "unknown token")
        return page(request, "login.html", 401, next=target, error="Unknown token.")
    response = RedirectResponse(target, status_code=303)
    set_session(response, request, claims)
    return response


@router.post("/logout", dependencies=[Depends(check_same_origin)])
def logout(request: Request) -> Response:
    """End the session."""
    response = RedirectResponse(LOGIN, status_code=303)
    clear_session(response, request)
    return response
