"""Rendering console pages: the Jinja2 templates, their filters, and the HTML error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from app.api.console.charts import mib, shorten
from app.api.console.explained import cell

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parents[1] / "static"

# Everything from the service itself; inline style attributes only (the bars' widths).
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters["mib"] = mib
templates.env.filters["shorten"] = shorten
templates.env.filters["cell"] = cell


class ConsoleError(Exception):
    """A console page that cannot be shown; rendered as the error page with `status`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Template `name` with `context` (and the logged-in operator, if any); never cached."""
    context.setdefault("user", getattr(request.state, "console_user", None))
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    return response


async def console_error(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, ConsoleError)
    return page(request, "error.html", exc.status, status=exc.status, reason=exc.reason)
