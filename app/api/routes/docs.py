"""Swagger UI and ReDoc, with their scripts and styles served by the service (no CDN)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS = "/static/docs"  # fastapi-offline's files, mounted by app.api.console.install_console
FAVICON = f"{ASSETS}/favicon.png"
REDOC_JS = f"{ASSETS}/redoc.standalone.js"
# Nothing from elsewhere: ReDoc's bundle names its logo on cdn.redoc.ly, which this blocks.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; worker-src 'self' blob:"
)


def _page(render: Callable[..., HTMLResponse], name: str, **options: Any) -> HTMLResponse:
    response = render(openapi_url="/openapi.json", title=f"iallocd - {name}", **options)
    response.headers["Content-Security-Policy"] = CSP
    return response


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return _page(
        get_swagger_ui_html,
        "Swagger UI",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=FAVICON,
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return _page(
        get_redoc_html, "ReDoc", redoc_js_url=REDOC_JS, redoc_favicon_url=FAVICON, with_google_fonts=False
    )
