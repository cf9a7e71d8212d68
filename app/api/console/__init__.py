"""The operator console: server-rendered pages over the store, for a browser with a session cookie.
`install_console` mounts its static files (and the API docs' assets) and its error pages."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.api.console.render import STATIC, ConsoleError, console_error
from app.api.console.session import LoginRequired, login_redirect
from app.core.config import Settings
from app.core.sessions import random_session_key

# Swagger UI's and ReDoc's scripts, as the fastapi-offline package ships them (with their licences).
DOCS_ASSETS = Path(fastapi_offline.__file__).with_name("static")


def install_console(app: FastAPI, settings: Settings) -> None:
    key = settings.session_key
    app.state.session_key = key.get_secret_value().encode() if key is not None else random_session_key()
    # /static/docs first: the /static mount would otherwise take its paths.
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequired, login_redirect)
    app.add_exception_handler(ConsoleError, console_error)
