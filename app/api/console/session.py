"""Who is logged in to the console: logging in with a token, the signed session cookie, and the
checks every page makes (a revoked token or a changed admin token ends the session)."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from app.api.console.render import ConsoleError
from app.api.deps import Principal, ServiceDep
from app.core.security import matches_token, token_digest
from app.core.sessions import SESSION_SECONDS, SessionClaims, read_session, sign_session
from app.store.clusters import cluster_for_digest, cluster_for_token

COOKIE = "iallocd_session"
LOGIN = "/ui/login"


class LoginRequired(Exception):
    """No valid session: the page redirects to the login form, which comes back to `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def login_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"{LOGIN}?next={quote(exc.path, safe='/')}", status_code=303)


def session_key(request: Request) -> bytes:
    key: bytes = request.app.state.session_key
    return key


def login(token: str, service: ServiceDep) -> SessionClaims | None:
    """The session for a token, checked as the API checks bearer tokens; None if unknown."""
    expires = int(time.time()) + SESSION_SECONDS
    if matches_token(token, service.settings.admin_token):
        return SessionClaims(None, token_digest(token), expires)
    with service.sessions() as session:
        cluster = cluster_for_token(token, session=session)
    return None if cluster is None else SessionClaims(cluster, token_digest(token), expires)


def _still_valid(claims: SessionClaims, service: ServiceDep) -> bool:
    if claims.cluster is None:
        admin = service.settings.admin_token
        return admin is not None and claims.digest == token_digest(admin.get_secret_value())
    with service.sessions() as session:
        return cluster_for_digest(claims.digest, session=session) == claims.cluster


def get_console_user(request: Request, service: ServiceDep) -> Principal:
    """The logged-in operator as an API principal; LoginRequired without a valid session."""
    value = request.cookies.get(COOKIE)
    claims = read_session(value, session_key(request), time.time()) if value else None
    if claims is None or not _still_valid(claims, service):
        raise LoginRequired(request.url.path)
    principal = Principal(claims.cluster)
    request.state.console_user = principal
    return principal


ConsoleUserDep = Annotated[Principal, Depends(get_console_user)]


def set_session(response: Response, request: Request, claims: SessionClaims) -> None:
    """The cookie: signed, HttpOnly, SameSite=Strict, Secure when the request came over https
    (directly, or from a proxy whose X-Forwarded-Proto uvicorn trusts)."""
    response.set_cookie(
        COOKIE,
        sign_session(claims, session_key(request)),
        max_age=SESSION_SECONDS,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def check_same_origin(request: Request) -> None:
    """403 unless the form was posted from this service's own pages (Origin, else Referer)."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    own = urlsplit(str(request.base_url))
    if claimed is not None:
        parts = urlsplit(claimed)
        if (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
            return
    raise ConsoleError(403, "the form must be posted from this service's own page (Origin or Referer)")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this service, else the fleet."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
